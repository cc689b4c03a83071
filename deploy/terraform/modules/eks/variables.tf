variable "name" {
  description = "Cluster name (e.g. venue-prod)."
  type        = string
}

variable "kubernetes_version" {
  description = "EKS Kubernetes version; the chart needs 1.27 or later."
  type        = string
  default     = "1.31"
}

variable "subnet_ids" {
  description = "Private subnets of the control plane's interfaces and the nodes."
  type        = list(string)
}

variable "public_access_cidrs" {
  description = "Addresses allowed to reach the API server's public endpoint; empty: private endpoint only."
  type        = list(string)
  default     = []
}

variable "kms_key_arn" {
  description = "KMS key for Kubernetes Secrets, node volumes, logs and images."
  type        = string
}

variable "general_instance_types" {
  description = "Instance types of the general node group."
  type        = list(string)
  default     = ["m7i.xlarge"]
}

variable "general_nodes" {
  description = "Nodes in the general group (at least 2: replicas are spread over nodes)."
  type        = number
  default     = 3
}

variable "engine_instance_types" {
  description = "Instance types of the engine node group: high clock, whole physical cores (c7i: 3.2 GHz sustained all-core turbo). The venue pod takes venue.cpus of them."
  type        = list(string)
  default     = ["c7i.2xlarge"]
}

variable "engine_nodes" {
  description = "Nodes in the engine group: one per venue colour (blue and green) is enough."
  type        = number
  default     = 2
}

variable "engine_reserved_cpus" {
  description = "CPUs the kubelet keeps for the system on engine nodes (static CPU manager's reservedSystemCPUs)."
  type        = string
  default     = "0"
}

variable "log_retention_days" {
  description = "Days CloudWatch keeps the control plane's logs."
  type        = number
  default     = 365
}

variable "tags" {
  description = "Tags on every resource."
  type        = map(string)
  default     = {}
}
