output "state_bucket" {
  description = "The state bucket (the environments' backend bucket)."
  value       = aws_s3_bucket.state.id
}

output "lock_table" {
  description = "The lock table (the environments' backend dynamodb_table)."
  value       = aws_dynamodb_table.lock.name
}

output "state_kms_key_arn" {
  description = "KMS key of the state (the environments' backend kms_key_id)."
  value       = aws_kms_key.state.arn
}
