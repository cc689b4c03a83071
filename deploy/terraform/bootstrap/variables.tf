variable "region" {
  description = "Region of the state bucket and lock table."
  type        = string
  default     = "eu-west-1"
}

variable "state_bucket" {
  description = "Name of the S3 bucket holding every environment's state."
  type        = string
  default     = "venue-terraform-state"
}

variable "lock_table" {
  description = "Name of the DynamoDB table holding the state locks."
  type        = string
  default     = "venue-terraform-lock"
}
