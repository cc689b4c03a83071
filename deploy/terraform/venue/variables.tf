variable "environment" {
  description = "dev, staging or prod: part of every name."
  type        = string
  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "environment must be dev, staging or prod."
  }
}

variable "region" {
  description = "AWS region."
  type        = string
}

variable "availability_zones" {
  description = "Availability zones of the VPC (three)."
  type        = list(string)
}

variable "vpc_cidr" {
  description = "The environment's VPC range."
  type        = string
}

variable "api_access_cidrs" {
  description = "Addresses allowed to the Kubernetes API's public endpoint; empty: private only."
  type        = list(string)
}

variable "general_nodes" {
  description = "Nodes of the general group."
  type        = number
}

variable "engine_instance_types" {
  description = "Instance types of the engine nodes (static CPU manager)."
  type        = list(string)
}

variable "engine_nodes" {
  description = "Engine nodes (one per venue colour)."
  type        = number
}

variable "db_instance_class" {
  description = "RDS instance class."
  type        = string
}

variable "kafka_instance_type" {
  description = "MSK broker instance type."
  type        = string
}

variable "kafka_client_encryption" {
  description = "MSK client-broker encryption: TLS (staging, prod), or TLS_PLAINTEXT (dev: a plaintext listener too)."
  type        = string
  validation {
    condition     = var.kafka_client_encryption == "TLS" || var.environment == "dev"
    error_message = "kafka_client_encryption must be TLS outside dev: a plaintext Kafka listener is for the development cluster only."
  }
}

variable "kafka_client_authentication" {
  description = "MSK client authentication (modules/msk): sasl_scram for the processes (staging, prod); unauthenticated in dev, and while an environment moves to SCRAM (RUNBOOK \"Kafka authentication\")."
  type        = list(string)
}

variable "kafka_version" {
  description = "MSK's Kafka version: 3.x while sasl_scram is used (modules/msk/main.tf says why)."
  type        = string
}

variable "kafka_client_protocol" {
  description = "How the chart's processes reach MSK (output helm_values kafka): sasl_ssl (SCRAM brokers, 9096), ssl (TLS brokers, 9094, unauthenticated: a step of the move to SCRAM) or plaintext (9092)."
  type        = string
  validation {
    condition     = contains(["sasl_ssl", "ssl", "plaintext"], var.kafka_client_protocol)
    error_message = "kafka_client_protocol must be sasl_ssl, ssl or plaintext."
  }
  validation {
    condition = (var.kafka_client_protocol == "sasl_ssl" ? contains(var.kafka_client_authentication, "sasl_scram") :
    contains(var.kafka_client_authentication, "unauthenticated") && (var.kafka_client_protocol == "ssl" || var.kafka_client_encryption == "TLS_PLAINTEXT"))
    error_message = "kafka_client_protocol sasl_ssl needs \"sasl_scram\" in kafka_client_authentication; ssl needs \"unauthenticated\"; plaintext needs \"unauthenticated\" and kafka_client_encryption TLS_PLAINTEXT."
  }
}
