package rules

import "os"

// LoadPolicyFile reads and validates a policy file, returning its bytes so
// a reloader can tell a changed file from an unchanged one; "" means the
// built-in defaults.
func LoadPolicyFile(path string) (*Policy, []byte, error) {
	if path == "" {
		return DefaultPolicy(), nil, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	p, err := ParsePolicy(data)
	return p, data, err
}
