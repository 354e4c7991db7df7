// pod-routes: on each node, a route to every other node's pod CIDR through that node's address on
// the nodes' shared network (what kind's kindnetd and flannel's host-gw backend do). Driven by an
// informer on the Node objects; every route it cannot set is logged with its reason and retried.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/vishvananda/netlink"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
)

func main() {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of a client allowed to list and watch Nodes")
	self := flag.String("node-name", "", "this node's name (its own pod CIDR is local)")
	flag.Parse()
	if *kubeconfig == "" || *self == "" {
		fmt.Fprintln(os.Stderr, "pod-routes: --kubeconfig and --node-name are required")
		os.Exit(2)
	}
	config, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		klog.Fatalf("reading %s: %v", *kubeconfig, err)
	}
	client := kubernetes.NewForConfigOrDie(config)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	factory := informers.NewSharedInformerFactory(client, 5*time.Minute)
	nodes := factory.Core().V1().Nodes()
	queue := workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[string]())
	enqueue := func(obj any) {
		if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil && key != *self {
			queue.Add(key)
		}
	}
	if _, err := nodes.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    enqueue,
		UpdateFunc: func(_, obj any) { enqueue(obj) },
		DeleteFunc: enqueue,
	}); err != nil {
		klog.Fatalf("watching Nodes: %v", err)
	}
	factory.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), nodes.Informer().HasSynced) {
		klog.Fatal("the Node cache never synced")
	}
	klog.Infof("routing pod CIDRs of the other nodes (this node: %s)", *self)

	// The route of each node, as last set: a deleted node's route is removed by its CIDR.
	routed := map[string]*net.IPNet{}
	go func() {
		<-ctx.Done()
		queue.ShutDown()
	}()
	for {
		name, shutdown := queue.Get()
		if shutdown {
			return
		}
		node, err := nodes.Lister().Get(name)
		if err == nil {
			err = routeTo(node, routed)
		} else if cidr := routed[name]; cidr != nil {
			err = netlink.RouteDel(&netlink.Route{Dst: cidr})
			if err == nil {
				klog.Infof("node %s is gone: route to %s removed", name, cidr)
				delete(routed, name)
			}
		} else {
			err = nil
		}
		if err != nil {
			klog.Errorf("node %s: %v (retrying)", name, err)
			queue.AddRateLimited(name)
		} else {
			queue.Forget(name)
		}
		queue.Done(name)
	}
}

// routeTo points the node's pod CIDR at its internal address; a node without either yet is
// routed when its next update brings them.
func routeTo(node *corev1.Node, routed map[string]*net.IPNet) error {
	if node.Spec.PodCIDR == "" {
		return nil
	}
	var gateway net.IP
	for _, address := range node.Status.Addresses {
		if address.Type == corev1.NodeInternalIP {
			gateway = net.ParseIP(address.Address)
		}
	}
	if gateway == nil {
		return nil
	}
	_, cidr, err := net.ParseCIDR(node.Spec.PodCIDR)
	if err != nil {
		return fmt.Errorf("pod CIDR %q: %w", node.Spec.PodCIDR, err)
	}
	if err := netlink.RouteReplace(&netlink.Route{Dst: cidr, Gw: gateway}); err != nil {
		return fmt.Errorf("route %s via %s: %w", cidr, gateway, err)
	}
	if previous := routed[node.Name]; previous == nil || previous.String() != cidr.String() {
		if previous != nil {
			if err := netlink.RouteDel(&netlink.Route{Dst: previous}); err != nil {
				klog.Errorf("node %s moved to %s: its old route to %s stays: %v", node.Name, cidr, previous, err)
			}
		}
		klog.Infof("route %s via %s (%s)", cidr, gateway, node.Name)
	}
	routed[node.Name] = cidr
	return nil
}
