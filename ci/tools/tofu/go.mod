// Builds OpenTofu's CLI from the Go module proxy (ci/setup-tools): OpenTofu's own go.mod has a
// replace line that `go install module@version` refuses, so this module requires it and repeats the
// replace. Only `tofu fmt` is used (offline); keep the version in step with ci/setup-tools.
module venue.local/tools/tofu

go 1.24.6

require github.com/opentofu/opentofu v1.10.6

replace github.com/hashicorp/hcl/v2 v2.20.1 => github.com/opentofu/hcl/v2 v2.20.2-0.20250121132637-504036cd70e7
