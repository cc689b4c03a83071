output "cluster_name" {
  description = "aws eks update-kubeconfig --name <this>."
  value       = module.eks.cluster_name
}

output "kms_key_arn" {
  description = "The environment's KMS key."
  value       = aws_kms_key.this.arn
}

output "rds_master_secret_arn" {
  description = "Secrets Manager secret of the database's master password (bring-up creates the services' roles with it)."
  value       = module.rds.master_user_secret_arn
}

output "msk_bootstrap_brokers_tls" {
  description = "TLS bootstrap brokers (port 9094: mutual TLS, or unauthenticated TLS)."
  value       = module.msk.bootstrap_brokers_tls
}

output "msk_bootstrap_brokers_sasl_scram" {
  description = "SASL/SCRAM bootstrap brokers (port 9096, TLS): the processes' and the runbook's Kafka tools'."
  value       = module.msk.bootstrap_brokers_sasl_scram
}

output "msk_scram_secret_names" {
  description = "Secrets Manager secret of each SCRAM user (venue, dropcopy, compliance, risk, ops)."
  value       = module.msk.scram_secret_names
}

output "prometheus_remote_write_url" {
  description = "Managed Prometheus remote-write URL."
  value       = module.monitoring.prometheus_remote_write_url
}

# The chart's values that come from here: `tofu output -json helm_values > values-<env>.tf.json`
# and pass that file to helm after values-<env>.yaml (deploy/RUNBOOK.md "Bring-up").
output "helm_values" {
  description = "Values of the venue chart that Terraform knows: image registry, Kafka brokers and protocol, VPC range, secret names, log group."
  value = {
    image = {
      registry = module.eks.image_registry
    }
    kafka = {
      brokers = {
        sasl_ssl  = module.msk.bootstrap_brokers_sasl_scram
        ssl       = module.msk.bootstrap_brokers_tls
        plaintext = module.msk.bootstrap_brokers
      }[var.kafka_client_protocol]
      securityProtocol = var.kafka_client_protocol
    }
    networkPolicy = {
      egressCidrs = [module.vpc.vpc_cidr]
    }
    secrets = {
      external = {
        compliancePgUrlKey = module.rds.service_url_secret_names["compliance"]
        riskPgUrlKey       = module.rds.service_url_secret_names["risk"]
        # The processes' SCRAM secrets (the chart reads their password field).
        kafkaPasswordKeys = { for p in ["venue", "dropcopy", "compliance", "risk"] : p => module.msk.scram_secret_names[p] if contains(keys(module.msk.scram_secret_names), p) }
      }
    }
    logShipping = {
      output = <<-EOT
        [OUTPUT]
            Name              cloudwatch_logs
            Match             venue.*
            region            ${var.region}
            log_group_name    ${module.monitoring.log_group_name}
            log_stream_prefix pod-
            auto_create_group false
      EOT
    }
  }
}

output "msk_cluster_arn" {
  description = "The MSK cluster (aws kafka list-nodes --cluster-arn ...)."
  value       = module.msk.cluster_arn
}
