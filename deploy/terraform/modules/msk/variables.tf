variable "name" {
  description = "Cluster name (e.g. venue-prod)."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the brokers."
  type        = string
}

variable "subnet_ids" {
  description = "One private subnet per broker zone."
  type        = list(string)
}

variable "client_security_group_id" {
  description = "Security group allowed to connect (the EKS cluster's)."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key for data at rest, logs and SCRAM secrets."
  type        = string
}

variable "kafka_version" {
  description = "Kafka version of the brokers."
  type        = string
  default     = "3.7.x"
}

variable "broker_count" {
  description = "Brokers: a multiple of the zones (3 keeps min.insync.replicas=2 writable with one broker down)."
  type        = number
  default     = 3
}

variable "instance_type" {
  description = "Broker instance type."
  type        = string
  default     = "kafka.m7g.large"
}

variable "volume_gb" {
  description = "EBS storage per broker in GB."
  type        = number
  default     = 1000
}

variable "retention_hours" {
  description = "Default topic retention; the drop copy's catch-up reads up to 24 hours back (spec/kafka-topics.md)."
  type        = number
  default     = 168
}

variable "client_broker_encryption" {
  description = "TLS (clients must use TLS) or TLS_PLAINTEXT (plaintext also allowed, unauthenticated, inside the VPC)."
  type        = string
  default     = "TLS"
  validation {
    condition     = contains(["TLS", "TLS_PLAINTEXT"], var.client_broker_encryption)
    error_message = "client_broker_encryption must be TLS or TLS_PLAINTEXT."
  }
}

variable "scram_users" {
  description = "Services that get SASL/SCRAM credentials (one secret each)."
  type        = list(string)
  default     = ["venue", "dropcopy", "compliance", "risk"]
}

variable "log_retention_days" {
  description = "Days CloudWatch keeps the broker logs."
  type        = number
  default     = 365
}

variable "tags" {
  description = "Tags on every resource."
  type        = map(string)
  default     = {}
}
