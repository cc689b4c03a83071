variable "environment" {
  description = "dev, staging or prod."
  type        = string
}

variable "cluster_name" {
  description = "EKS cluster whose service accounts get the roles."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key for logs, the workspace and the SNS topic."
  type        = string
}

variable "log_retention_days" {
  description = "Days CloudWatch keeps the processes' logs (a venue's records: years in prod)."
  type        = number
  default     = 400
}

variable "logging_namespace" {
  description = "Namespace of the Fluent Bit DaemonSet."
  type        = string
  default     = "logging"
}

variable "monitoring_namespace" {
  description = "Namespace of Prometheus."
  type        = string
  default     = "monitoring"
}

variable "tags" {
  description = "Tags on every resource."
  type        = map(string)
  default     = {}
}
