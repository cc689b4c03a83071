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
  description = "Kafka version of the brokers (MSK's names: 3.7.x, 3.8.x, 3.9.x, 4.0.x, ...). 3.x while client_authentication has sasl_scram: the images' librdkafka 2.0.2 cannot log in to 4.x brokers with SCRAM (main.tf)."
  type        = string
  default     = "3.7.x"
  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.", var.kafka_version))
    error_message = "kafka_version is MAJOR.MINOR.x or MAJOR.MINOR.PATCH, as MSK names them (e.g. 3.9.x)."
  }
  validation {
    condition     = !(contains(var.client_authentication, "sasl_scram") && !can(regex("^[0-3]\\.", var.kafka_version)))
    error_message = "kafka_version 4.x or later with SASL/SCRAM (client_authentication has \"sasl_scram\"): the venue images' librdkafka (Debian 12's 2.0.2) sends a SCRAM client-final nonce that Kafka 4.x brokers refuse as invalid credentials (librdkafka bug fixed in 2.6.1, confluentinc/librdkafka PR 4895); Kafka 3.7.2 to 3.9.x accept it. Stay on 3.x (3.9.x at most) while SCRAM is used, or authenticate with mutual TLS (\"tls\"), or first move the images to librdkafka 2.6.1 or later."
  }
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
  description = "TLS: clients must use TLS (the default; staging and prod). TLS_PLAINTEXT: the plaintext listener (9092) too, for a development cluster only."
  type        = string
  default     = "TLS"
  validation {
    condition     = contains(["TLS", "TLS_PLAINTEXT"], var.client_broker_encryption)
    error_message = "client_broker_encryption must be TLS or TLS_PLAINTEXT."
  }
}

variable "client_authentication" {
  description = "How clients log in: any of sasl_scram (per-service users, scram_users; the venue's processes use it), sasl_iam, tls (mutual TLS, certificates from tls_certificate_authority_arns), unauthenticated (anyone who reaches a listener: TLS 9094, and plaintext 9092 with TLS_PLAINTEXT)."
  type        = list(string)
  default     = ["sasl_scram"]
  validation {
    condition     = length(var.client_authentication) > 0 && alltrue([for a in var.client_authentication : contains(["sasl_scram", "sasl_iam", "tls", "unauthenticated"], a)])
    error_message = "client_authentication lists one or more of sasl_scram, sasl_iam, tls, unauthenticated."
  }
  validation {
    condition     = var.client_broker_encryption == "TLS" || !(contains(var.client_authentication, "sasl_scram") || contains(var.client_authentication, "sasl_iam"))
    error_message = "SASL (sasl_scram, sasl_iam) needs client_broker_encryption TLS: MSK offers no SASL beside a plaintext listener."
  }
  validation {
    condition     = contains(var.client_authentication, "tls") == (length(var.tls_certificate_authority_arns) > 0)
    error_message = "client_authentication \"tls\" (mutual TLS) needs tls_certificate_authority_arns, and those need \"tls\"."
  }
}

variable "tls_certificate_authority_arns" {
  description = "ACM Private CA ARNs whose client certificates MSK accepts (client_authentication tls)."
  type        = list(string)
  default     = []
}

variable "scram_users" {
  description = "Users that get SASL/SCRAM credentials (one secret each, with client_authentication sasl_scram): the four processes, and ops for the runbook's kafka-topics.sh and kafka-consumer-groups.sh."
  type        = list(string)
  default     = ["venue", "dropcopy", "compliance", "risk", "ops"]
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
