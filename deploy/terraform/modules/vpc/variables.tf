variable "name" {
  description = "Name of the VPC and prefix of its resources (e.g. venue-prod)."
  type        = string
}

variable "cidr" {
  description = "The VPC's address range; /16 gives 16 subnets of /20."
  type        = string
}

variable "az_count" {
  description = "Availability zones to use (subnets and NAT gateways in each)."
  type        = number
  default     = 3
  validation {
    condition     = var.az_count >= 2 && var.az_count <= 3
    error_message = "az_count must be 2 or 3."
  }
}

variable "kms_key_arn" {
  description = "KMS key that encrypts the flow logs."
  type        = string
}

variable "flow_log_retention_days" {
  description = "Days CloudWatch keeps the VPC flow logs."
  type        = number
  default     = 365
}

variable "tags" {
  description = "Tags on every resource."
  type        = map(string)
  default     = {}
}
