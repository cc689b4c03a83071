output "log_group_name" {
  description = "CloudWatch log group of the processes' logs (the chart's logShipping output log_group_name)."
  value       = aws_cloudwatch_log_group.venue.name
}

output "prometheus_remote_write_url" {
  description = "Remote-write URL of the managed Prometheus workspace."
  value       = "${aws_prometheus_workspace.this.prometheus_endpoint}api/v1/remote_write"
}

output "alerts_topic_arn" {
  description = "SNS topic for alerts."
  value       = aws_sns_topic.alerts.arn
}
