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
  description = "MSK client-broker encryption: TLS, or TLS_PLAINTEXT until the processes speak TLS to Kafka."
  type        = string
}
