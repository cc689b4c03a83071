# tflint (ci/lint-deploy runs `tflint --recursive` from deploy/terraform). The Terraform language
# ruleset is bundled with tflint; every rule of it is on. The AWS ruleset is not used: its plugin is
# not served by the Go module proxy (see deploy/terraform/README.md); checkov covers AWS settings.
config {
  call_module_type = "local"
}

plugin "terraform" {
  enabled = true
  preset  = "all"
}
