# Where the dev environment's state is: S3, versioned and KMS-encrypted, locked in DynamoDB (both made
# by deploy/terraform/bootstrap). Given to `tofu init -backend-config` by deploy/terraform/tf.
bucket         = "venue-terraform-state"
key            = "envs/dev/terraform.tfstate"
region         = "eu-west-1"
dynamodb_table = "venue-terraform-lock"
encrypt        = true
kms_key_id     = "alias/venue-terraform-state"
