# Kafka: Amazon MSK over three zones, encrypted at rest with KMS and in transit between brokers and
# (client_broker_encryption "TLS") to clients, clients authenticated (client_authentication:
# SASL/SCRAM by default, each service its own user, deploy/helm/venue kafka.clients), broker logs to
# CloudWatch. Topics are not managed here (RUNBOOK "Bring-up" creates them with kafka-topics.sh,
# 8 partitions for venue.execution-reports; the local stack's deploy/local/topics.txt has 1).
#
# Kafka version and SCRAM: the images' librdkafka (Debian 12's 2.0.2) sends a SCRAM client-final
# message whose nonce Kafka 4.x brokers refuse ("invalid credentials"; a librdkafka bug fixed in 2.6.1,
# confluentinc/librdkafka PR 4895); Kafka 3.7.2 to 3.9.x accept it. So kafka_version stays 3.x while
# client_authentication has "sasl_scram" (variables.tf refuses 4.x with it). Mutual TLS ("tls") works
# with any broker version; MSK has no SASL/PLAIN. MSK offers SASL (SCRAM, IAM) only with
# client_broker_encryption "TLS": a cluster with the plaintext listener (TLS_PLAINTEXT, dev) is
# unauthenticated.

resource "aws_security_group" "this" {
  name        = "${var.name}-kafka"
  description = "MSK brokers of ${var.name}: from the cluster's nodes only"
  vpc_id      = var.vpc_id
  tags        = var.tags
}

resource "aws_vpc_security_group_ingress_rule" "from_cluster" {
  security_group_id            = aws_security_group.this.id
  description                  = "Kafka listeners (plaintext 9092 with TLS_PLAINTEXT only, TLS 9094, SASL/SCRAM 9096, IAM 9098)"
  referenced_security_group_id = var.client_security_group_id
  ip_protocol                  = "tcp"
  from_port                    = var.client_broker_encryption == "TLS_PLAINTEXT" ? 9092 : 9094
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
  #checkov:skip=CKV_AWS_81:client_broker is TLS (the default) in staging and prod; only dev sets TLS_PLAINTEXT (venue/variables.tf refuses it elsewhere; check-validations proves each environment); checkov cannot see the tfvars the root's value comes from
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
    unauthenticated = contains(var.client_authentication, "unauthenticated")
    sasl {
      iam   = contains(var.client_authentication, "sasl_iam")
      scram = contains(var.client_authentication, "sasl_scram")
    }
    dynamic "tls" {
      for_each = contains(var.client_authentication, "tls") ? [1] : []
      content {
        certificate_authority_arns = var.tls_certificate_authority_arns
      }
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

# SCRAM credentials of each service: a secret AmazonMSK_<cluster>_<service> (MSK's required prefix,
# encrypted with the customer key) holding JSON {"username", "password"}; the chart's ExternalSecret
# reads the password (deploy/helm/venue secrets.external.kafkaPasswordKeys). Terraform writes the first
# password only: RUNBOOK "Rotating credentials" puts new ones, which Terraform then leaves alone.
locals {
  scram_users = contains(var.client_authentication, "sasl_scram") ? toset(var.scram_users) : toset([])
}

resource "aws_secretsmanager_secret" "scram" {
  #checkov:skip=CKV2_AWS_57:MSK reads SCRAM secrets as they are; rotated by the runbook's "Rotating credentials"
  for_each    = local.scram_users
  name        = "AmazonMSK_${var.name}_${each.value}"
  description = "SASL/SCRAM credentials of ${each.value} on MSK cluster ${var.name}"
  kms_key_id  = var.kms_key_arn
  tags        = var.tags
}

# Letters and digits only: the password also goes into Java clients' sasl.jaas.config (RUNBOOK).
resource "random_password" "scram" {
  for_each = local.scram_users
  length   = 40
  special  = false
}

resource "aws_secretsmanager_secret_version" "scram" {
  for_each      = local.scram_users
  secret_id     = aws_secretsmanager_secret.scram[each.value].id
  secret_string = jsonencode({ username = each.value, password = random_password.scram[each.value].result })
  lifecycle {
    ignore_changes = [secret_string]
  }
}

resource "aws_msk_scram_secret_association" "this" {
  count           = length(local.scram_users) > 0 ? 1 : 0
  cluster_arn     = aws_msk_cluster.this.arn
  secret_arn_list = [for s in aws_secretsmanager_secret.scram : s.arn]
  # MSK refuses a secret without a value.
  depends_on = [aws_secretsmanager_secret_version.scram]
}
