// CoreDNS with only the plugins a cluster's DNS needs. Upstream's default build links every
// plugin (cloud DNS providers included); this one compiles in a fraction of the time.
package main

import (
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"

	_ "github.com/coredns/caddy/onevent"
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/forward"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/hosts"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/loadbalance"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/loop"
	_ "github.com/coredns/coredns/plugin/metrics"
	_ "github.com/coredns/coredns/plugin/ready"
	_ "github.com/coredns/coredns/plugin/reload"
)

// The order in which plugins see a query; a subset of upstream's plugin.cfg, same relative order.
var directives = []string{
	"prometheus", "errors", "log", "health", "ready", "hosts", "kubernetes",
	"loop", "reload", "loadbalance", "cache", "forward",
}

func init() { dnsserver.Directives = directives }

func main() { coremain.Run() }
