variable "name" {
  description = "Instance identifier and prefix (e.g. venue-prod)."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the database."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets of the database (two zones at least)."
  type        = list(string)
}

variable "client_security_group_id" {
  description = "Security group allowed to connect (the EKS cluster's)."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key for storage, the master password, Performance Insights and the URLs."
  type        = string
}

variable "engine_version" {
  description = "PostgreSQL version (the venue is tested with 15)."
  type        = string
  default     = "15.8"
}

variable "instance_class" {
  description = "Instance class."
  type        = string
  default     = "db.r6g.large"
}

variable "storage_gb" {
  description = "Allocated storage in GB (grows automatically to four times this)."
  type        = number
  default     = 200
}

variable "backup_retention_days" {
  description = "Days of automated backups (point-in-time recovery)."
  type        = number
  default     = 35
}

variable "secret_prefix" {
  description = "Prefix of the Secrets Manager names (the chart's secrets.external keys), e.g. venue/prod."
  type        = string
}

variable "tags" {
  description = "Tags on every resource."
  type        = map(string)
  default     = {}
}
