package valora

// Temporary: pins dependencies the domain packages are about to use, so that go.mod is settled up front.
import (
	_ "github.com/jackc/pgx/v5"
	_ "golang.org/x/crypto/argon2"
	_ "sigs.k8s.io/yaml"
	_ "github.com/santhosh-tekuri/jsonschema/v6"
)
