// Package dns stands in for lego's table of DNS-01 challenge providers
// (github.com/go-acme/lego/v4/providers/dns, zz_gen_dns_providers.go) when Traefik is built for
// the offline cluster (go build -overlay, images/go-binaries.mjs): that table imports about 150
// cloud DNS SDKs, a third of Traefik's compile, and an offline cluster reaches none of them.
package dns

import (
	"fmt"

	"github.com/go-acme/lego/v4/challenge"
)

// NewDNSChallengeProviderByName refuses every provider: this build has none.
func NewDNSChallengeProviderByName(name string) (challenge.Provider, error) {
	return nil, fmt.Errorf("ACME DNS-01 challenge provider %q: this Traefik is built for an offline cluster, without DNS providers", name)
}
