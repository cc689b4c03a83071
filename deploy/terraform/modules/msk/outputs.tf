output "bootstrap_brokers" {
  description = "Plaintext bootstrap brokers (empty unless client_broker_encryption is TLS_PLAINTEXT): the chart's kafka.brokers today."
  value       = aws_msk_cluster.this.bootstrap_brokers
}

output "bootstrap_brokers_tls" {
  description = "TLS bootstrap brokers."
  value       = aws_msk_cluster.this.bootstrap_brokers_tls
}

output "bootstrap_brokers_sasl_scram" {
  description = "SASL/SCRAM bootstrap brokers."
  value       = aws_msk_cluster.this.bootstrap_brokers_sasl_scram
}

output "cluster_arn" {
  description = "The MSK cluster's ARN."
  value       = aws_msk_cluster.this.arn
}
