# State in S3 (versioned, KMS-encrypted) with a DynamoDB lock: made by deploy/terraform/bootstrap.
terraform {
  backend "s3" {
    bucket         = "venue-terraform-state"
    key            = "envs/prod/terraform.tfstate"
    region         = "eu-west-1"
    dynamodb_table = "venue-terraform-lock"
    encrypt        = true
    kms_key_id     = "alias/venue-terraform-state"
  }
}
