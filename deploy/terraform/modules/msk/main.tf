# Kafka: Amazon MSK over three zones, encrypted at rest with KMS and in transit between brokers,
# SASL/SCRAM and IAM authentication for clients, broker logs to CloudWatch. Topics are not managed
# here (RUNBOOK "Bring-up" creates them with kafka-topics.sh, partitions from deploy/local/topics.txt).
#
# client_broker_encryption: "TLS" in staging and prod. The venue's processes take only bootstrap
# brokers in their [kafka] tables today, without TLS or SASL settings, so until they do, dev runs
# "TLS_PLAINTEXT" with unauthenticated access inside the VPC (see deploy/RUNBOOK.md).

resource "aws_security_group" "this" {
  name        = "${var.name}-kafka"
  description = "MSK brokers of ${var.name}: from the cluster's nodes only"
  vpc_id      = var.vpc_id
  tags        = var.tags
}

resource "aws_vpc_security_group_ingress_rule" "from_cluster" {
  security_group_id            = aws_security_group.this.id
  description                  = "Kafka listeners (plaintext 9092, TLS 9094, SASL/SCRAM 9096, IAM 9098)"
  referenced_security_group_id = var.client_security_group_id
  ip_protocol                  = "tcp"
  from_port                    = 9092
  to_port                      = 9098
}

resource "aws_msk_configuration" "this" {
  name           = var.name
  kafka_versions = [var.kafka_version]
  # Durable by default: three copies, two in sync before an ack (the venue produces with acks=all).
  server_properties = <<-EOT
    auto.create.topics.enable=false
    default.replication.factor=3
    min.insync.replicas=2
    num.partitions=8
    unclean.leader.election.enable=false
    log.retention.hours=${var.retention_hours}
  EOT
}

resource "aws_cloudwatch_log_group" "brokers" {
  name              = "/venue/${var.name}/msk"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_msk_cluster" "this" {
  #checkov:skip=CKV_AWS_81:client_broker TLS_PLAINTEXT until the venue's processes take Kafka TLS settings (RUNBOOK "Kafka authentication"); brokers talk TLS among themselves
  cluster_name           = var.name
  kafka_version          = var.kafka_version
  number_of_broker_nodes = var.broker_count

  broker_node_group_info {
    instance_type   = var.instance_type
    client_subnets  = var.subnet_ids
    security_groups = [aws_security_group.this.id]
    storage_info {
      ebs_storage_info {
        volume_size = var.volume_gb
      }
    }
  }

  configuration_info {
    arn      = aws_msk_configuration.this.arn
    revision = aws_msk_configuration.this.latest_revision
  }

  encryption_info {
    encryption_at_rest_kms_key_arn = var.kms_key_arn
    encryption_in_transit {
      client_broker = var.client_broker_encryption
      in_cluster    = true
    }
  }

  client_authentication {
    unauthenticated = var.client_broker_encryption == "TLS_PLAINTEXT"
    sasl {
      iam   = true
      scram = true
    }
  }

  enhanced_monitoring = "PER_TOPIC_PER_PARTITION"

  open_monitoring {
    prometheus {
      jmx_exporter {
        enabled_in_broker = true
      }
      node_exporter {
        enabled_in_broker = true
      }
    }
  }

  logging_info {
    broker_logs {
      cloudwatch_logs {
        enabled   = true
        log_group = aws_cloudwatch_log_group.brokers.name
      }
    }
  }

  tags = var.tags
}

# SCRAM credentials of each service (username/password in Secrets Manager, name AmazonMSK_...).
resource "aws_secretsmanager_secret" "scram" {
  #checkov:skip=CKV2_AWS_57:MSK reads SCRAM secrets as they are; rotated by the runbook's "Rotating credentials"
  for_each   = toset(var.scram_users)
  name       = "AmazonMSK_${var.name}_${each.value}"
  kms_key_id = var.kms_key_arn
  tags       = var.tags
}

resource "aws_msk_scram_secret_association" "this" {
  count           = length(var.scram_users) > 0 ? 1 : 0
  cluster_arn     = aws_msk_cluster.this.arn
  secret_arn_list = [for s in aws_secretsmanager_secret.scram : s.arn]
}
