terraform {
  required_version = ">= 1.9.0" # variable validations that read other variables

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.60"
    }
  }
}

provider "aws" {
  region = var.region
  default_tags {
    tags = {
      project     = "venue"
      environment = var.environment
      managed-by  = "terraform"
    }
  }
}
