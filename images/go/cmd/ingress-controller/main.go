// A minimal networking.k8s.io/v1 Ingress controller: serves HTTP on :80 and proxies each request
// to the Service its Ingress rules select (by host, then longest path), through the Service's
// cluster DNS name so that kube-proxy picks the endpoint. No TLS termination.
package main

import (
	"context"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"reflect"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	networkinglisters "k8s.io/client-go/listers/networking/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
)

const (
	controllerName         = "kube-scenarios.dev/ingress-controller"
	defaultClassAnnotation = "ingressclass.kubernetes.io/is-default-class"
	// Pre-IngressClass way of choosing a controller, still used by older manifests.
	legacyClassAnnotation = "kubernetes.io/ingress.class"
	httpAddress           = ":80"
	healthAddress         = ":10254"
)

// transport is shared by every backend's proxy so that connections are pooled per Service.
// Compression is left to client and backend: the backend sees the client's Accept-Encoding.
var transport = &http.Transport{
	DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
	DisableCompression:  true,
	MaxIdleConnsPerHost: 16,
	IdleConnTimeout:     90 * time.Second,
}

// backend is where matched requests go; handler answers 503 when the Service cannot be resolved.
type backend struct {
	name    string
	handler http.Handler
}

type route struct {
	host    string // "" matches any host, "*.example.com" one extra DNS label, else the exact host
	path    string
	exact   bool
	backend backend
}

// table is the routing state built from all Ingresses; swapped atomically on each reload.
type table struct {
	routes         []route
	defaultBackend *backend
}

type controller struct {
	client    kubernetes.Interface
	ingresses networkinglisters.IngressLister
	classes   networkinglisters.IngressClassLister
	services  corelisters.ServiceLister
	nodeIP    string
	current   atomic.Pointer[table]
	changed   chan struct{}
}

func main() {
	config, err := rest.InClusterConfig()
	if err != nil {
		log.Fatalf("in-cluster config: %v", err)
	}
	client := kubernetes.NewForConfigOrDie(config)
	factory := informers.NewSharedInformerFactory(client, 0)
	c := &controller{
		client:    client,
		ingresses: factory.Networking().V1().Ingresses().Lister(),
		classes:   factory.Networking().V1().IngressClasses().Lister(),
		services:  factory.Core().V1().Services().Lister(),
		nodeIP:    os.Getenv("NODE_IP"),
		changed:   make(chan struct{}, 1),
	}
	c.current.Store(&table{})
	onChange := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { c.trigger() },
		UpdateFunc: func(any, any) { c.trigger() },
		DeleteFunc: func(any) { c.trigger() },
	}
	for _, informer := range []cache.SharedIndexInformer{
		factory.Networking().V1().Ingresses().Informer(),
		factory.Networking().V1().IngressClasses().Informer(),
		factory.Core().V1().Services().Informer(),
	} {
		if _, err := informer.AddEventHandler(onChange); err != nil {
			log.Fatalf("event handler: %v", err)
		}
	}
	ctx := context.Background()
	factory.Start(ctx.Done())
	for informerType, synced := range factory.WaitForCacheSync(ctx.Done()) {
		if !synced {
			log.Fatalf("cache of %v did not sync", informerType)
		}
	}
	c.reload(ctx)
	go c.run(ctx)
	go serveHealth()
	log.Printf("serving ingress traffic on %s", httpAddress)
	log.Fatal(http.ListenAndServe(httpAddress, c))
}

// trigger asks for a reload; several changes in a row collapse into one.
func (c *controller) trigger() {
	select {
	case c.changed <- struct{}{}:
	default:
	}
}

func (c *controller) run(ctx context.Context) {
	for range c.changed {
		// Let a burst of events (e.g. `kubectl apply` of several objects) settle first.
		time.Sleep(200 * time.Millisecond)
		c.reload(ctx)
	}
}

func (c *controller) reload(ctx context.Context) {
	ingresses, err := c.ourIngresses()
	if err != nil {
		log.Printf("reload: %v", err)
		return
	}
	t := c.buildTable(ingresses)
	c.current.Store(t)
	log.Printf("reload: %d ingresses, %d routes", len(ingresses), len(t.routes))
	for _, r := range t.routes {
		kind := "prefix"
		if r.exact {
			kind = "exact"
		}
		log.Printf("  host=%q path=%q (%s) -> %s", r.host, r.path, kind, r.backend.name)
	}
	if t.defaultBackend != nil {
		log.Printf("  default backend -> %s", t.defaultBackend.name)
	}
	for _, ing := range ingresses {
		c.updateStatus(ctx, ing)
	}
}

// ourIngresses are those whose IngressClass names this controller, plus the class-less ones
// when one of our classes is the cluster default; oldest first so that ties are stable.
func (c *controller) ourIngresses() ([]*networkingv1.Ingress, error) {
	classes, err := c.classes.List(labels.Everything())
	if err != nil {
		return nil, err
	}
	ourClasses := map[string]bool{}
	isDefault := false
	for _, class := range classes {
		if class.Spec.Controller == controllerName {
			ourClasses[class.Name] = true
			isDefault = isDefault || class.Annotations[defaultClassAnnotation] == "true"
		}
	}
	all, err := c.ingresses.List(labels.Everything())
	if err != nil {
		return nil, err
	}
	var ours []*networkingv1.Ingress
	for _, ing := range all {
		class := ing.Annotations[legacyClassAnnotation]
		if ing.Spec.IngressClassName != nil {
			class = *ing.Spec.IngressClassName
		}
		if ourClasses[class] || (class == "" && isDefault) {
			ours = append(ours, ing)
		}
	}
	sort.Slice(ours, func(i, j int) bool {
		a, b := ours[i], ours[j]
		if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
			return a.CreationTimestamp.Before(&b.CreationTimestamp)
		}
		return a.Namespace+"/"+a.Name < b.Namespace+"/"+b.Name
	})
	return ours, nil
}

func (c *controller) buildTable(ingresses []*networkingv1.Ingress) *table {
	t := &table{}
	for _, ing := range ingresses {
		if ing.Spec.DefaultBackend != nil && t.defaultBackend == nil {
			b := c.resolve(ing.Namespace, ing.Spec.DefaultBackend)
			t.defaultBackend = &b
		}
		for _, rule := range ing.Spec.Rules {
			if rule.HTTP == nil {
				continue
			}
			for _, p := range rule.HTTP.Paths {
				t.routes = append(t.routes, route{
					host:    strings.ToLower(rule.Host),
					path:    p.Path,
					exact:   p.PathType != nil && *p.PathType == networkingv1.PathTypeExact,
					backend: c.resolve(ing.Namespace, &p.Backend),
				})
			}
		}
	}
	return t
}

// resolve turns an Ingress backend into a proxy to the Service's DNS name and port number.
func (c *controller) resolve(namespace string, b *networkingv1.IngressBackend) backend {
	if b.Service == nil {
		return unavailable(namespace+": resource backends are not supported", "unsupported backend")
	}
	name := namespace + "/" + b.Service.Name
	svc, err := c.services.Services(namespace).Get(b.Service.Name)
	if err != nil {
		return unavailable(name+" (service not found)", "service not found")
	}
	port := b.Service.Port.Number
	if b.Service.Port.Name != "" {
		for _, p := range svc.Spec.Ports {
			if p.Name == b.Service.Port.Name {
				port = p.Port
			}
		}
	}
	if port == 0 {
		return unavailable(fmt.Sprintf("%s:%s (port not found)", name, b.Service.Port.Name), "service port not found")
	}
	target := &url.URL{Scheme: "http", Host: fmt.Sprintf("%s.%s.svc:%d", svc.Name, namespace, port)}
	return backend{name: target.Host, handler: newProxy(target)}
}

func unavailable(name, reason string) backend {
	return backend{name: name, handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "503 Service Unavailable: "+reason, http.StatusServiceUnavailable)
	})}
}

// newProxy keeps the client's Host header, as ingress controllers conventionally do.
func newProxy(target *url.URL) http.Handler {
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.Host = pr.In.Host
			pr.SetXForwarded()
		},
		Transport: transport,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			log.Printf("%s %s%s -> %s: %v", r.Method, r.Host, r.URL.Path, target.Host, err)
			http.Error(w, "503 Service Unavailable", http.StatusServiceUnavailable)
		},
	}
}

func (c *controller) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	t := c.current.Load()
	if b := t.match(requestHost(r), r.URL.Path); b != nil {
		b.handler.ServeHTTP(w, r)
		return
	}
	http.NotFound(w, r)
}

// match picks the most specific host kind (exact, wildcard, any) that has a matching path,
// and within it the longest path, Exact before Prefix on equal length.
func (t *table) match(host, path string) *backend {
	var best *route
	bestHost, bestLen := -1, -1
	for i := range t.routes {
		r := &t.routes[i]
		hostRank, ok := matchHost(r.host, host)
		if !ok {
			continue
		}
		length, ok := matchPath(r, path)
		if !ok {
			continue
		}
		better := hostRank > bestHost ||
			hostRank == bestHost && (length > bestLen || length == bestLen && r.exact && !best.exact)
		if better {
			best, bestHost, bestLen = r, hostRank, length
		}
	}
	if best != nil {
		return &best.backend
	}
	return t.defaultBackend
}

// matchHost ranks a rule's host against the request's: exact 2, wildcard 1, any 0.
func matchHost(rule, host string) (int, bool) {
	switch {
	case rule == "":
		return 0, true
	case strings.HasPrefix(rule, "*."):
		// A wildcard covers exactly one DNS label: *.foo.com matches bar.foo.com only.
		label, found := strings.CutSuffix(host, rule[1:])
		return 1, found && label != "" && !strings.Contains(label, ".")
	default:
		return 2, rule == host
	}
}

// matchPath returns the matched length. Prefix matching is element-wise: /foo matches /foo and
// /foo/bar but not /foobar, and a trailing slash in the rule is ignored.
func matchPath(r *route, path string) (int, bool) {
	if r.exact {
		return len(r.path), path == r.path
	}
	prefix := strings.TrimRight(r.path, "/")
	return len(prefix), prefix == "" || path == prefix || strings.HasPrefix(path, prefix+"/")
}

func requestHost(r *http.Request) string {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return strings.ToLower(host)
}

// updateStatus publishes the node IP as the Ingress address, which `kubectl get ingress` shows
// and which recipes wait for.
func (c *controller) updateStatus(ctx context.Context, ing *networkingv1.Ingress) {
	if c.nodeIP == "" {
		return
	}
	want := []networkingv1.IngressLoadBalancerIngress{{IP: c.nodeIP}}
	if reflect.DeepEqual(ing.Status.LoadBalancer.Ingress, want) {
		return
	}
	updated := ing.DeepCopy()
	updated.Status.LoadBalancer.Ingress = want
	_, err := c.client.NetworkingV1().Ingresses(ing.Namespace).UpdateStatus(ctx, updated, metav1.UpdateOptions{})
	if err != nil {
		log.Printf("status of %s/%s: %v", ing.Namespace, ing.Name, err)
	}
}

// serveHealth answers the kubelet's probes; it starts once the first routing table is in place.
func serveHealth() {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	log.Fatal(http.ListenAndServe(healthAddress, mux))
}
