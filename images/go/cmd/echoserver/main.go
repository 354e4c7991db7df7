// Stand-in for registry.k8s.io/echoserver:1.10: answers every request with a plain-text
// description of the request, in the upstream's layout, so recipes that read it keep working.
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"os"
	"sort"
	"strings"
	"time"
)

// maxBody bounds how much of a request body is echoed back.
const maxBody = 1 << 20

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	handler := http.HandlerFunc(echo)
	// Like upstream, HTTPS on 8443 with a throwaway self-signed certificate.
	go func() {
		cert, err := selfSignedCert()
		if err != nil {
			log.Fatalf("tls certificate: %v", err)
		}
		server := &http.Server{Addr: ":8443", Handler: handler, TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}}}
		log.Fatal(server.ListenAndServeTLS("", ""))
	}()
	log.Printf("echoserver listening on :%s (http) and :8443 (https)", port)
	log.Fatal(http.ListenAndServe(":"+port, handler))
}

func echo(w http.ResponseWriter, r *http.Request) {
	hostname, _ := os.Hostname()
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n\nHostname: %s\n\n", hostname)
	b.WriteString(podInformation())
	b.WriteString("Server values:\n\tserver_version=kube-scenarios echoserver\n\n")
	b.WriteString("Request Information:\n")
	fmt.Fprintf(&b, "\tclient_address=%s\n", clientAddress(r.RemoteAddr))
	fmt.Fprintf(&b, "\tmethod=%s\n", r.Method)
	fmt.Fprintf(&b, "\treal path=%s\n", r.URL.Path)
	fmt.Fprintf(&b, "\tquery=%s\n", r.URL.RawQuery)
	fmt.Fprintf(&b, "\trequest_version=%d.%d\n", r.ProtoMajor, r.ProtoMinor)
	fmt.Fprintf(&b, "\trequest_scheme=%s\n", scheme)
	fmt.Fprintf(&b, "\trequest_uri=%s://%s%s\n\n", scheme, r.Host, r.URL.RequestURI())
	b.WriteString("Request Headers:\n")
	b.WriteString(headers(r))
	b.WriteString("\nRequest Body:\n")
	b.WriteString(body(r))
	w.Header().Set("Content-Type", "text/plain")
	io.WriteString(w, b.String())
	log.Printf("%s %s %s%s", clientAddress(r.RemoteAddr), r.Method, r.Host, r.URL.RequestURI())
}

// podInformation reads the downward-API variables upstream's manifests set.
func podInformation() string {
	fields := [][2]string{{"node name", "NODE_NAME"}, {"pod name", "POD_NAME"}, {"pod namespace", "POD_NAMESPACE"}, {"pod IP", "POD_IP"}}
	var b strings.Builder
	for _, f := range fields {
		if v := os.Getenv(f[1]); v != "" {
			fmt.Fprintf(&b, "\t%s:\t%s\n", f[0], v)
		}
	}
	if b.Len() == 0 {
		b.WriteString("\t-no pod information available-\n")
	}
	return "Pod Information:\n" + b.String() + "\n"
}

// headers lists the request headers sorted and lower-cased; Go keeps Host apart from the others.
func headers(r *http.Request) string {
	lines := []string{"host=" + r.Host}
	for name, values := range r.Header {
		lines = append(lines, strings.ToLower(name)+"="+strings.Join(values, ", "))
	}
	sort.Strings(lines)
	return "\t" + strings.Join(lines, "\n\t") + "\n"
}

func body(r *http.Request) string {
	data, _ := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if len(data) == 0 {
		return "\t-no body in request-\n"
	}
	return string(data) + "\n"
}

func clientAddress(remote string) string {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		return remote
	}
	return host
}

func selfSignedCert() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	template := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "echoserver"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(10 * 365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}
