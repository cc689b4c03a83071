output "endpoint" {
  description = "host:port of the database."
  value       = aws_db_instance.this.endpoint
}

output "address" {
  description = "Host name of the database."
  value       = aws_db_instance.this.address
}

output "master_user_secret_arn" {
  description = "Secrets Manager secret holding the master password (RDS rotates it)."
  value       = aws_db_instance.this.master_user_secret[0].secret_arn
}

output "service_url_secret_names" {
  description = "Secrets Manager names of the services' URLs (the chart's secrets.external.*PgUrlKey)."
  value       = { for k, s in aws_secretsmanager_secret.service_url : k => s.name }
}
