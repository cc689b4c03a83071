//go:build tools

// Package tools pins the OpenTofu CLI as a dependency of this module (see go.mod).
package tools

import _ "github.com/opentofu/opentofu/cmd/tofu"
