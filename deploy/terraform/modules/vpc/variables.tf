variable "name" {
  description = "Name of the VPC and prefix of its resources (e.g. venue-prod)."
  type        = string
}

variable "cidr" {
  description = "The VPC's address range; /16 gives 16 subnets of /20."
  type        = string
}

variable "azs" {
  description = "Availability zones to use, by name (subnets and NAT gateways in each): fixed, so a zone AWS adds later changes nothing."
  type        = list(string)
  validation {
    condition     = length(var.azs) >= 2 && length(var.azs) <= 3
    error_message = "Give 2 or 3 availability zones."
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
