# State in S3 (versioned, KMS-encrypted) with a DynamoDB lock, made by deploy/terraform/bootstrap. A
# partial configuration: each environment's bucket, key, lock table and key are in
# envs/<env>/backend.hcl, given at init (`deploy/terraform/tf ENV init`).
terraform {
  backend "s3" {}
}
