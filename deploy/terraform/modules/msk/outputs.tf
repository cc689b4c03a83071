output "bootstrap_brokers" {
  description = "Plaintext bootstrap brokers (empty unless client_broker_encryption is TLS_PLAINTEXT)."
  value       = aws_msk_cluster.this.bootstrap_brokers
}

output "bootstrap_brokers_tls" {
  description = "TLS bootstrap brokers."
  value       = aws_msk_cluster.this.bootstrap_brokers_tls
}

output "bootstrap_brokers_sasl_scram" {
  description = "SASL/SCRAM bootstrap brokers (port 9096, TLS): the chart's kafka.brokers with securityProtocol sasl_ssl."
  value       = aws_msk_cluster.this.bootstrap_brokers_sasl_scram
}

output "cluster_arn" {
  description = "The MSK cluster's ARN."
  value       = aws_msk_cluster.this.arn
}

output "scram_secret_names" {
  description = "Secrets Manager secret of each SCRAM user (JSON username, password), by user name."
  value       = { for u, s in aws_secretsmanager_secret.scram : u => s.name }
}
