// Every finding netcheck can report: its stable ID, default severity and what it means, how it is
// detected and how it is fixed. docs/findings.md is generated from this list (src/checks/findings-doc.ts, npm run docs:findings)
// and a test keeps the two equal, so the documentation cannot drift from the code.
import type { Severity } from './finding.ts';

export interface FindingDoc {
  title: string;
  severity: Severity;
  meaning: string;
  detection: string;
  fix: string;
  /** The fault class of docs/incidents.md it catches, when it is one. */
  incident?: number;
}

export const FINDINGS = {
  // ------------------------------------------------------------------ found on a traced path
  'rp-filter-drop': {
    title: 'Reverse-path filter drops the packet',
    severity: 'error',
    meaning:
      'The packet arrives on a device whose effective rp_filter is strict (1), and the route back to its source leaves by another device (or, loose (2), by no device at all). The kernel drops it in the routing decision, before FORWARD or INPUT: no iptables counter or TRACE shows it.',
    detection:
      "The engine runs the kernel's fib_validate_source for the ingress device of every hop: effective mode max(net.ipv4.conf.all.rp_filter, net.ipv4.conf.<dev>.rp_filter), the reverse route looked up with the packet's source as destination.",
    fix: "Set the device to loose mode (sysctl -w net.ipv4.conf.<dev>.rp_filter=2, persisted in /etc/sysctl.d or the CNI's own setting), or make the path symmetric (route the LAN to the node that owns the pod, e.g. BGP peering).",
    incident: 1,
  },
  'forwarding-disabled': {
    title: 'IPv4 forwarding is off',
    severity: 'critical',
    meaning:
      'The node must forward the packet (to a pod, a tunnel, another node) but forwarding is off on the ingress device: the kernel drops it silently.',
    detection:
      'net.ipv4.conf.<ingress>.forwarding (net.ipv4.ip_forward sets all devices) on a node that routes pod traffic, or a traced packet that the node must forward.',
    fix: 'sysctl -w net.ipv4.ip_forward=1 and persist it in /etc/sysctl.d/; kubelet and every CNI require it.',
  },
  'no-route': {
    title: 'No route to the destination',
    severity: 'error',
    meaning:
      'No table that the policy rules consult holds a route to the destination: the sender gets "network unreachable", a forwarded packet is dropped with an ICMP error.',
    detection: "The engine's policy-routing lookup (ip rule order, longest prefix match in each table) found nothing.",
    fix: "Add the missing route (for a pod block: restore the CNI's route, e.g. check the BGP session or the CNI agent on that node).",
  },
  'blackhole-route': {
    title: 'A blackhole, unreachable or prohibit route (or rule) takes the packet',
    severity: 'error',
    meaning:
      'The route (or policy rule) that matches the destination discards the packet: blackhole silently, unreachable and prohibit with an ICMP error.',
    detection: "The route or rule that the engine's lookup selected has type blackhole, unreachable or prohibit.",
    fix: 'Remove the discarding route (ip route del <route>) or add a more specific route for the destination; Calico installs blackholes only for blocks the node owns.',
  },
  'netfilter-drop': {
    title: 'An iptables rule or chain policy drops the packet',
    severity: 'error',
    meaning: "A DROP rule, or a built-in chain's DROP policy, discards the packet on this node.",
    detection:
      "The engine evaluates raw, mangle, nat and filter on each hook in the kernel's order with the node's real ruleset (iptables-nft and iptables-legacy) and names the rule that decided.",
    fix: 'Change or remove the quoted rule, or add an ACCEPT before it; a FORWARD policy DROP set by Docker needs an explicit ACCEPT for the pod network (iptables -I FORWARD -s <podCIDR> -j ACCEPT and -d <podCIDR>).',
  },
  'netfilter-reject': {
    title: 'An iptables rule rejects the packet',
    severity: 'error',
    meaning: 'A REJECT rule answers the packet with an ICMP error or a TCP reset.',
    detection: 'As netfilter-drop, for REJECT.',
    fix: "Change or remove the quoted rule (a NetworkPolicy's rule: change the policy).",
  },
  'service-no-endpoints': {
    title: 'The Service has no ready endpoints',
    severity: 'error',
    meaning:
      'kube-proxy rejects traffic to a Service without ready endpoints (iptables: a REJECT rule commented "has no endpoints"; nftables: the no-endpoint-services / no-endpoint-nodeports verdict maps; IPVS: a virtual server without real servers).',
    detection:
      "The traced packet meets kube-proxy's no-endpoints REJECT rule or verdict map, or an empty IPVS virtual server; the EndpointSlices confirm it.",
    fix: 'Make the backend pods ready (kubectl get endpointslices -l kubernetes.io/service-name=<svc>; check the selector and readiness probes).',
  },
  'service-no-local-endpoint': {
    title: 'A Service with traffic policy Local has no endpoint on the node that receives its traffic',
    severity: 'warning',
    meaning:
      'With externalTrafficPolicy: Local, kube-proxy sends NodePort, LoadBalancer and externalIP traffic only to endpoints on the node it arrives at, and drops it on a node that has none (iptables: a DROP commented "has no local endpoints" in filter KUBE-EXTERNAL-SERVICES, v1.22+; KUBE-XLB-* → KUBE-MARK-DROP before). internalTrafficPolicy: Local does the same for pods of that node calling the ClusterIP. The Service works from some nodes and times out from the others. Milder (info) for a LoadBalancer Service reached only through its load balancer: the load balancer\'s health check (healthCheckNodePort) keeps such nodes out.',
    detection:
      "From the objects: every Service with externalTrafficPolicy Local (type NodePort or LoadBalancer, or with externalIPs) or internalTrafficPolicy Local (on nodes that run pods), its EndpointSlices' ready endpoints and their nodeName, against the cluster's nodes; with the node's kube-proxy rule as evidence when it was collected. On a traced path: the packet dies in kube-proxy's \"has no local endpoints\" rule.",
    fix: 'Send the traffic only to nodes that run an endpoint (the ones named), run the backends on every node that receives traffic (a DaemonSet, or topology spread), or set the policy to Cluster (kubectl patch svc <svc> -p \'{"spec":{"externalTrafficPolicy":"Cluster"}}\'), which masquerades the client address.',
  },
  'martian-source': {
    title: 'The kernel drops a martian source',
    severity: 'error',
    meaning:
      "The packet's source is not acceptable on the ingress device (a local address, loopback, or a source the kernel treats as impossible), so it is dropped before routing.",
    detection: "The kernel's ip_route_input_slow martian checks, applied to the packet at each hop.",
    fix: 'Find who sends with that source (a NAT on the way, a spoofing host); for a local source on purpose, net.ipv4.conf.<dev>.accept_local=1.',
  },
  'link-down': {
    title: 'A device on the path is down',
    severity: 'error',
    meaning: 'The packet must enter or leave through a device that is not up.',
    detection: 'The link state from ip -d addr show.',
    fix: 'ip link set <dev> up, and find out why it went down (the CNI agent recreates its tunnel device on restart).',
  },
  'no-neighbor': {
    title: 'No neighbour or forwarding entry for the next hop',
    severity: 'error',
    meaning:
      'The packet leaves by a VXLAN device whose neighbour (ARP) or bridge forwarding entry for the next hop is missing, so it cannot be encapsulated toward a remote VTEP; or the next hop on a link answers for nobody.',
    detection: 'ip neigh and bridge fdb on the egress VXLAN device, the way vxlan_xmit finds the remote VTEP.',
    fix: 'Restart the CNI agent on the node (flanneld and felix write these entries), or add them: ip neigh replace <vtep-ip> lladdr <mac> dev <dev> nud permanent; bridge fdb append <mac> dev <dev> dst <underlay-ip>.',
  },
  'no-decapsulation': {
    title: 'Encapsulated packet arrives where nothing decapsulates it',
    severity: 'error',
    meaning: 'A VXLAN or IPIP packet reaches a node that has no matching tunnel device (VNI, port, remote) to take it.',
    detection: 'The tunnel devices and their parameters on the receiving node, against the outer packet.',
    fix: 'Check the tunnel device on the receiving node (ip -d link show) and the CNI configuration (VNI, port).',
  },
  'vtep-mac-mismatch': {
    title: "A VXLAN peer's neighbour entry points at a MAC that is not the peer's VXLAN device",
    severity: 'error',
    meaning:
      "The sending node addresses the inner frame to the MAC its neighbour entry holds for the peer's VTEP address. The peer's VXLAN device takes the packet, but a frame for another MAC is marked for another host (eth_type_trans: PACKET_OTHERHOST) and dropped in ip_rcv: the tunnel looks up, ARP looks fine, and every pod packet to that node is lost. It happens when a node's VXLAN device was recreated with a new MAC (agent restart, reinstall) and the peers kept the old one.",
    detection:
      "Traced: the inner destination MAC (the sender's ip neigh entry) against the receiving VXLAN device's MAC (ip -d addr). doctor: for each node pair, every neighbour entry on a VXLAN device for an address of the peer's VXLAN device, against that device's MAC, and against flannel's backend-data VtepMAC annotation of the peer.",
    fix: "Rewrite the entry with the peer's real MAC (ip neigh replace <vtep-ip> lladdr <mac> dev <dev> nud permanent, and bridge fdb replace <mac> dev <dev> dst <peer-ip>), or restart the CNI agent on the sending node (flanneld, calico-node) so it reprograms its peers; if the peer's annotation is stale, restart the agent on the peer so it republishes its MAC.",
  },
  'mtu-exceeded': {
    title: 'The packet is larger than a device on the path carries',
    severity: 'error',
    meaning:
      "A packet of the size asked (--size) with Don't Fragment set does not fit the MTU of a device it must leave by (a pod device, a tunnel device — VXLAN takes 50 bytes of the underlay's MTU, IPIP 20 — or the underlay): the kernel drops it and answers ICMP fragmentation-needed with the MTU to the source. Small packets work and large ones hang (ssh works, scp stalls) when that ICMP does not get back or is ignored.",
    detection:
      "The engine compares the packet's length with the MTU of every device it leaves by (ip -d addr), tunnel overhead included on the outer packet, starting with the sending pod's own device (its MTU read from the node's end of its veth: a pod refuses a DF packet above it itself, EMSGSIZE); it names the hop, the MTU and the route the ICMP error would take back to the source. Without Don't Fragment (--no-df) the hop says the packet is fragmented instead. A VXLAN outer packet has no DF (the device's default), an IPIP one copies the inner packet's.",
    fix: "Make the MTUs agree along the path: the pods' and tunnel's MTU at most the underlay's minus the overhead (Calico: FelixConfiguration vxlanMTU / ipipMTU and the CNI's mtu; flannel follows the underlay; Cilium: mtu), and let ICMP fragmentation-needed through firewalls so path-MTU discovery works; as a stopgap, clamp TCP's MSS (iptables -t mangle -A FORWARD -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu).",
  },
  'pod-mtu-above-tunnel': {
    title: "Pods' MTU is larger than the tunnel's",
    severity: 'warning',
    meaning:
      "A pod's device MTU (the veth pair the CNI created, seen from the node's end) is above the MTU of the tunnel device its traffic to other nodes takes: a pod at 1500 behind a 1450 VXLAN device sends full-size packets the node must fragment or, with Don't Fragment (TCP always sets it), drop and answer with ICMP fragmentation-needed. Pod-to-pod on one node and small packets work; large transfers across nodes stall wherever that ICMP is lost or ignored.",
    detection:
      "doctor: on each node with a tunnel device that routes pod traffic (ip route ... dev vxlan.calico / flannel.1 / tunl0), the node-side ends of its pods' veths and their bridge (ip -d addr: mtu) against the tunnel's MTU. Traced: a packet of --size that does not fit is mtu-exceeded at the tunnel.",
    fix: "Set the pods' MTU to the tunnel's (Calico: FelixConfiguration vxlanMTU / ipipMTU and the CNI's mtu, or auto-detection; flannel: FLANNEL_MTU in subnet.env follows the underlay; Canal: the conflist's mtu) and recreate the pods: the veth MTU is fixed when a pod is created.",
  },
  'routing-loop': {
    title: 'The packet loops',
    severity: 'error',
    meaning: 'The nodes send the packet back and forth until its TTL runs out.',
    detection: 'The trace crosses more hosts than any real path could.',
    fix: 'Fix the routes quoted in the trace so that one node delivers instead of sending the packet back.',
  },
  'reply-source-mismatch': {
    title: 'The reply comes back from an address the client did not call',
    severity: 'error',
    meaning:
      'The reply reaches the client, but its source is not the address the client sent to (the reverse NAT did not happen on the way back, because the reply took another path): the client discards it.',
    detection: 'The reply trace walked back from the server, with every conntrack entry of the forward path.',
    fix: 'Make the return path cross the node that did the NAT (symmetric routing), or avoid the NAT (externalTrafficPolicy: Local, routes to pods instead of to Services).',
  },
  'hairpin-mode-off': {
    title: 'A pod cannot reach itself through its Service: its bridge port has hairpin off',
    severity: 'error',
    meaning:
      "A pod on a bridge (the bridge CNI plugin, flannel's cni0, kubenet's cbr0) connects to a Service and kube-proxy picks the pod itself. With br_netfilter on (net.bridge.bridge-nf-call-iptables = 1, which kubeadm requires) the DNATed frame is bridged, not routed, back toward the port it came in on, and a bridge never sends a frame out its ingress port unless that port has hairpin mode (net/bridge/br_forward.c should_deliver): it is dropped, with no counter in iptables. Other pods reach the Service; the endpoint itself times out, one connection in N.",
    detection:
      "The trace of a pod to a Service branch that is the pod itself: br_netfilter on, the destination changed in PREROUTING, routed out of the bridge it came in on, and the pod's port (its neighbour entry's MAC in the bridge's fdb, else every port of the bridge when all agree) without hairpin (ip -d addr: bridge_slave info hairpin). doctor: the bridge ports of Service endpoints with hairpin off where br_netfilter is on.",
    fix: "Set \"hairpinMode\": true in the bridge plugin's CNI configuration (flannel: delegate.hairpinMode, the default of kube-flannel's manifest; kubelet's --hairpin-mode=hairpin-veth for kubenet) and recreate the pods; at once: bridge link set dev <port> hairpin on.",
  },
  'hairpin-no-masquerade': {
    title: 'A pod reaching itself through its Service is not masqueraded',
    severity: 'error',
    meaning:
      "A pod connects to a Service and the endpoint chosen is the pod itself. Without source NAT the packet comes back into the pod from the pod's own address, which its kernel drops as a martian source (fib_validate_source; accept_local is 0 by default): the connection times out, one in N for a Service with N endpoints. (Were it accepted, the pod would answer itself inside its namespace, past the node that undoes the DNAT.)",
    detection:
      "The trace of a pod → Service branch whose endpoint is the pod itself reaches the pod with its own address as source: no rule on the way masqueraded it (kube-proxy's KUBE-SEP rule `-s <endpoint>/32 -j KUBE-MARK-MASQ`, its nftables and IPVS equivalents). The pod's own sysctls are not collected: accept_local is taken as the default, 0, and the hop says so.",
    fix: 'Let kube-proxy (or the Service proxy in use) masquerade hairpin traffic: kube-proxy writes it in every mode; a custom or replaced proxy must SNAT traffic whose source is the chosen endpoint (iptables -t nat -A POSTROUTING -s <pod>/32 -d <pod>/32 -j MASQUERADE).',
  },
  'path-unknown': {
    title: 'netcheck cannot decide this part of the path',
    severity: 'warning',
    meaning:
      'The path crosses something netcheck does not model (an iptables match it does not know, an unprobed router, a route attribute): rather than guess, it stops there and quotes the line.',
    detection: 'The engine meets a rule, route or device it cannot evaluate.',
    fix: 'Probe the missing node, or check the quoted line by hand; please report the line so that netcheck learns it.',
  },
  'pod-egress-masquerade': {
    title: "Pod traffic leaves with the node's address",
    severity: 'info',
    meaning:
      "A pod's connection to a host outside the cluster is source-NATed to the node address: the far end sees the node, not the pod (allow-lists and database grants made for the pod network fail). Reported as info when that is the configured behaviour, as a warning when the configuration says otherwise in a key the running CNI version ignores.",
    detection:
      'The traced pod → host flow crosses a MASQUERADE or SNAT rule; netcheck names the rule and the configuration key that put it there (Calico IPPool natOutgoing, cilium-config enable-ipv4-masquerade / masquerade, flannel ipMasq, ip-masq-agent).',
    fix: 'If the far end must see pod addresses: exclude its network from masquerading (Calico: an IPPool with natOutgoing false or a disabled pool for the destination; Cilium: ipv4-native-routing-cidr or enable-ipv4-masquerade: "false"; ip-masq-agent: nonMasqueradeCIDRs) and make the pod network routable there.',
    incident: 5,
  },
  'egress-no-return-route': {
    title: 'Pod egress keeps the pod address, and no way back is known',
    severity: 'warning',
    meaning:
      "A pod's packets leave the cluster without source NAT, so the far end answers to the pod address: the host, or its router, must route the pod network to a node, or every answer is lost (connections hang after the first packet). netcheck sees the nodes, not the LAN, so without the LAN's route the way back is an assumption and the flow is not called reachable.",
    detection:
      "The traced pod → LAN host flow is delivered with the pod's own source address (no MASQUERADE or SNAT matched), and the LAN's route for the pod network was not given (lan --via); the masquerade configuration (IPPool natOutgoing, cilium-config, flannel ipMasq, ip-masq-agent) is quoted.",
    fix: 'Route the pod network to the nodes on the LAN (a static route on the router, or BGP from the CNI) and trace again with --via NODE; or masquerade pod traffic that leaves the cluster.',
  },
  // ------------------------------------------------------------------ found by doctor on the nodes
  'node-not-probed': {
    title: 'A node could not be probed',
    severity: 'warning',
    meaning: 'The snapshot has no network state for this node, so no check could run there.',
    detection: 'The probe of the node failed during collection (the reason is quoted).',
    fix: 'Fix the reason given, then run the command again (or collect with --nodes).',
  },
  'data-missing': {
    title: 'Data a check needs was not collected',
    severity: 'warning',
    meaning:
      "Part of a node's state (a section of the probe: routes, sysctls, iptables, ...) or a kind of cluster object was not collected, could not be parsed, or was recorded as failed. The checks that need it did not judge that node (or did not run): netcheck draws no conclusion from data it does not have, so nothing here is known to be healthy either.",
    detection:
      'Each check declares the sections and object kinds it reads; before judging a node the runner looks up their provenance (collected, partial, unparseable, failed, absent). The finding names the node, the missing data, why it is missing and the checks left out.',
    fix: 'Collect the missing data (the finding names the command or permission), e.g. install the tool in the probe image or grant the RBAC list permission, then run the command again.',
  },
  'host-not-in-cluster': {
    title: 'The snapshot holds a host that is not a node of the cluster',
    severity: 'warning',
    meaning:
      'A host entry of the snapshot has no Node object of that name: netcheck cannot tell which node it stands for, so its state is left out of the analysis rather than taken for a node (its addresses could shadow a real node).',
    detection: 'Host entry names against the names of the Node objects (when the nodes were collected).',
    fix: 'Collect again (kubectl netcheck collect), or rename the entry to the node it was probed on.',
  },
  'pod-ip-duplicate': {
    title: 'Two pods have the same IP address',
    severity: 'error',
    meaning:
      'Running pods share an address: packets for it reach only one of them (whichever the routes lead to), so connections meant for the other land in the wrong pod or fail. Usually IPAM handed out an address twice, or a stale pod object survived its sandbox.',
    detection: 'The IPs of pods that are not finished (phase not Succeeded or Failed) and not host-network.',
    fix: 'Delete the stale or duplicated pod so that it gets a new address; check the CNI IPAM (calicoctl ipam check; host-local: /var/lib/cni/networks on the node).',
  },
  'rp-filter-strict-tunnel': {
    title: 'Strict rp_filter on a tunnel device',
    severity: 'warning',
    meaning:
      "The tunnel device is in strict reverse-path mode: traffic that enters a pod's node through the tunnel but whose source is routed back another way (a LAN host whose router sends pod traffic to another node) is dropped.",
    detection:
      'Effective rp_filter = max(all, dev) is 1 on tunl0, vxlan.calico, flannel.1 or cilium_vxlan; for each LAN network the node reaches directly, the reverse route is quoted to show it does not use the tunnel.',
    fix: 'sysctl -w net.ipv4.conf.<tunnel>.rp_filter=2 (loose) or 0, persisted; or send LAN traffic to the node that owns the pod.',
    incident: 1,
  },
  'rp-filter-strict-ingress': {
    title: 'Strict rp_filter on an uplink that is not the way back',
    severity: 'warning',
    meaning:
      "A node with several uplinks has strict reverse-path filtering on one whose routes do not lead back to hosts beyond the default route: traffic that a router sends to that uplink's address (an asymmetric path, e.g. a LAN router routing the pod network to the second NIC) is dropped before FORWARD.",
    detection:
      "On nodes with several uplinks, for each uplink with effective rp_filter 1, the engine's fib_validate_source for a source beyond the default route arriving on it.",
    fix: 'sysctl -w net.ipv4.conf.<dev>.rp_filter=2 (loose) on the node, persisted; or make the router use the uplink the default route leaves by.',
  },
  'tunnel-next-hop-wrong': {
    title: 'A tunnel route points at the wrong node',
    severity: 'critical',
    meaning:
      'The route for a remote pod block leaves through the tunnel toward a next hop that is not the node owning the block: packets are encapsulated to the wrong host (or to a pod address) and never arrive.',
    detection:
      "For every route through a tunnel device, its gateway (IPIP: an underlay address; VXLAN: the peer's VTEP address, resolved with ip neigh and bridge fdb) is compared with the owner of the block (Calico BlockAffinity, node podCIDR, flannel annotations).",
    fix: "Replace the route with the owner's address (the command is given), then find why the CNI wrote it (BGP route from a wrong peer, stale route after a node changed address).",
    incident: 2,
  },
  'tunnel-source-mismatch': {
    title: 'Encapsulated traffic leaves from an address the peer does not expect',
    severity: 'error',
    meaning:
      "The kernel picks the outer source of tunnel traffic to a peer by route lookup: on a node with several NICs it can be an address the peer does not know as a cluster host, and the peer's CNI drops it (Calico accepts IPIP/VXLAN only from its all-hosts ipset).",
    detection:
      "For each node pair, the outer source the kernel chooses (the tunnel's local address, else the source of the route to the peer: a VXLAN device's `dev` does not bind that lookup, only an fdb entry's `via` does; IPIP's `dev` does) against the address the peer knows for the node (Calico IPv4Address annotation, InternalIP, flannel public-ip) and the peer's allow-list ipsets.",
    fix: "Make the addresses agree: give the tunnel device `local <expected address>`, set Calico's IP autodetection (IP_AUTODETECTION_METHOD=interface=<nic> or can-reach=<peer>) or flannel --iface, or add a route with src <expected address> toward the peer network.",
    incident: 3,
  },
  'externalip-node-address': {
    title: "A Service externalIP is a node's own address",
    severity: 'critical',
    meaning:
      "kube-proxy IPVS binds every externalIP on kube-ipvs0 of every node: each node then takes this node's address as its own, and traffic to it (API server, kubelet, etcd) stays local. In iptables mode only the Service's ports are captured.",
    detection:
      "Service.spec.externalIPs against node addresses (status.addresses and the addresses on the nodes), with kube-proxy's mode; the nodes that already carry the address on kube-ipvs0 are listed.",
    fix: 'Remove the address from the Service (kubectl patch svc <svc> --type=json -p \'[{"op":"remove","path":"/spec/externalIPs"}]\'); use a free LAN address that the LAN routes to the nodes, or a LoadBalancer.',
    incident: 4,
  },
  'externalip-control-plane': {
    title: 'A Service externalIP is the API server or etcd address',
    severity: 'critical',
    meaning:
      "An externalIP equal to the kubernetes Service endpoint or an etcd member captures control-plane traffic: under IPVS on every node, under iptables on the Service's ports.",
    detection: "externalIPs against the endpoints of default/kubernetes and the etcd pods' addresses.",
    fix: 'Remove the address from the Service at once; the control plane may need console access to recover.',
    incident: 4,
  },
  'externalip-in-cluster-network': {
    title: 'A Service externalIP lies inside a cluster network',
    severity: 'error',
    meaning:
      'The externalIP falls in the pod network (an IPPool, a node podCIDR) or the Service network: it can collide with a pod or ClusterIP, and LAN routing to it is ambiguous.',
    detection: 'externalIPs against IPPools, node podCIDRs and ClusterIPs.',
    fix: 'Choose an externalIP outside the pod and Service networks.',
    incident: 4,
  },
  'externalip-unrouted': {
    title: 'A Service externalIP is owned by no node',
    severity: 'warning',
    meaning:
      "No node holds the externalIP and no node's network contains it: it works only if the LAN router sends it to a node (a static route) or something answers ARP for it.",
    detection: "externalIPs against the nodes' addresses and connected networks.",
    fix: "Add a route on the LAN router (<ip>/32 via <node>), use an address from a node's LAN with a load-balancer announcing it (MetalLB), or use a LoadBalancer Service.",
    incident: 4,
  },
  'pod-subnet-mismatch': {
    title: "The node's pod subnet sources disagree",
    severity: 'error',
    meaning:
      "flannel's subnet.env, the CNI ipam subnet, the node podCIDR, the flannel annotations, the bridge and VXLAN addresses and the running pods must name the same subnet; when one disagrees, routes and masquerade rules are built for the wrong network and the pods of that node lose cross-node traffic (DNS fails first).",
    detection:
      "Per node: FLANNEL_SUBNET, the CNI conflist ipam subnet, spec.podCIDR (when the CNI's IPAM allocates from it: not with Calico IPAM or Cilium cluster-pool), the pod bridge's and the CNI tunnel device's addresses and the pods' IPs, compared; the odd one out is named.",
    fix: 'Make the stale source agree (usually: delete the old CNI conflist or subnet.env and restart flannel/canal on the node, then recreate its pods).',
    incident: 6,
  },
  'missing-pod-route': {
    title: "No route to another node's pods",
    severity: 'error',
    meaning:
      'The node has no specific route to a pod block owned by another node: traffic to those pods follows the default route (to the LAN router) and is lost.',
    detection:
      "For each pod block (BlockAffinity, node podCIDR) owned by another node, the engine's route lookup on this node.",
    fix: "Restore the CNI's routes: check the BGP session (calicoctl node status), flanneld or the Cilium agent on the node.",
  },
  'blackhole-foreign-block': {
    title: 'A blackhole route for a block the node does not own',
    severity: 'error',
    meaning:
      "The CNI installs a blackhole for each block the node owns; a blackhole for another node's block discards traffic to that node's pods.",
    detection: 'Blackhole routes against block ownership (BlockAffinity, node podCIDR).',
    fix: 'ip route del blackhole <block>; then find the stale block affinity (calicoctl ipam check).',
  },
  'forward-policy-drop': {
    title: 'FORWARD chain policy is DROP',
    severity: 'warning',
    meaning:
      "The filter FORWARD policy drops what no rule accepts (Docker sets it). Pod traffic survives only while the CNI's ACCEPT rules come first.",
    detection:
      'The FORWARD chain policy of the filter table in either iptables backend; a traced packet that reaches the policy.',
    fix: 'iptables -P FORWARD ACCEPT, or accept the pod network explicitly (iptables -I FORWARD -s <podCIDR> -j ACCEPT; iptables -I FORWARD -d <podCIDR> -j ACCEPT).',
  },
  'tunnel-mtu': {
    title: 'Tunnel MTU too large for the underlay',
    severity: 'warning',
    meaning:
      "A tunnel device's MTU plus the encapsulation overhead (IPIP 20, VXLAN 50 bytes) exceeds the MTU of the underlay device it leaves by: large packets are fragmented or dropped, small ones work (ssh works, scp hangs).",
    detection: 'Tunnel device MTU + overhead against the MTU of the device that carries the encapsulated traffic.',
    fix: 'Lower the tunnel MTU (Calico: veth_mtu / FelixConfiguration vxlanMTU, ipipMTU; flannel: the MTU follows the underlay; Cilium: mtu).',
  },
  'ippool-overlap': {
    title: 'A pod network overlaps a node, LAN or Service network',
    severity: 'error',
    meaning:
      "A Calico IPPool (or the flannel network) overlaps the nodes' own networks or the Service network: some destinations are ambiguous, and pods may get addresses that the LAN also uses.",
    detection: "IPPools and the flannel Network against the nodes' connected networks, node addresses and ClusterIPs.",
    fix: 'Create a non-overlapping IPPool, migrate the pods, and disable the old pool.',
  },
  'br-netfilter-missing': {
    title: 'Bridged pod traffic bypasses iptables',
    severity: 'warning',
    meaning:
      'Pods are attached to a Linux bridge (cni0), but br_netfilter is not loaded or net.bridge.bridge-nf-call-iptables is 0: traffic between pods on the same node skips iptables, so Service DNAT replies and NetworkPolicies misbehave.',
    detection:
      'A bridge with pod veths, and the net.bridge.bridge-nf-call-iptables sysctl (absent when br_netfilter is not loaded).',
    fix: 'modprobe br_netfilter; sysctl -w net.bridge.bridge-nf-call-iptables=1 (and persist both).',
  },
  'masquerade-config-ignored': {
    title: 'A masquerade setting the running CNI version ignores',
    severity: 'warning',
    meaning:
      'The CNI configuration holds a deprecated masquerade key that the running version no longer reads (or one that contradicts its replacement): the behaviour is not what the configuration seems to say.',
    detection:
      'cilium-config masquerade (→ enable-ipv4-masquerade) and native-routing-cidr (→ ipv4-native-routing-cidr), against the Cilium image version.',
    fix: 'Set the current key explicitly (e.g. enable-ipv4-masquerade: "false") and remove the deprecated one; restart the agents.',
    incident: 5,
  },
  'host-route-covers-cluster-range': {
    title: "A host interface's prefix covers the Service or pod addresses",
    severity: 'warning',
    meaning:
      "A connected route of one of the node's own interfaces (a mistyped netmask, e.g. /8 for /24) contains ClusterIPs or pod ranges. A packet the node sends itself is routed for its original destination before nat OUTPUT rewrites it (ip_route_output, then ip_route_me_harder after DNAT): a ClusterIP then leaves by that interface with its address as source, which nothing routes back unless kube-proxy masquerades it; pod ranges reached through the default gateway go there instead.",
    detection:
      "proto kernel, scope link routes in the main table (not kube-ipvs0) whose prefix contains a Service's ClusterIP or a whole pod range the interface's own address is not in.",
    fix: 'Correct the prefix length of the address on that interface (and in the node network configuration), or renumber that network out of the cluster ranges.',
  },
  'node-no-service-route': {
    title: 'The node routes nothing for the Service network',
    severity: 'error',
    meaning:
      'The node has no default route and no route for the ClusterIPs. A packet the node sends itself is routed for its original destination before nat OUTPUT DNATs it to an endpoint (ip_route_output, then ip_route_me_harder): with no route there, kubelet, host-network pods and anything else on the node get "network unreachable" for every Service, although the endpoints themselves are routable.',
    detection: 'No table of the node (but local) has a route containing a Service ClusterIP.',
    fix: 'Give the node a default route, or a route for the Service network (any device: DNAT and the second lookup choose the real path).',
  },
  // ------------------------------------------------------------------ observed by --active
  'underlay-drops-encapsulation': {
    title: 'The network between two nodes drops their encapsulated traffic',
    severity: 'error',
    meaning:
      "A VXLAN (UDP to the CNI's VXLAN port), IPIP (IP protocol 4), WireGuard (UDP to its listening port) or IPsec (ESP, IP protocol 50) packet left one node's underlay device and never reached the other node's: something between them (a cloud security group, an on-premises firewall, a switch ACL) drops that protocol. Every pod-to-pod packet between those nodes is encapsulated the same way and lost the same way, while the nodes' own traffic (ssh, the kubelet) passes. No node's state shows it: the static walk says reachable.",
    detection:
      "--active: a small probe of the same shape (VXLAN to the same port with a VNI no node uses; IP protocol 4 with an inner ICMP echo reply the receiver discards; UDP to the WireGuard port whose first byte is no WireGuard message type; ESP with an SPI no security association uses), from the sender's tunnel source address to the receiver's VTEP, captured by tcpdump on the sender's underlay device and not on the receiver's.",
    fix: 'Allow the encapsulation between the node addresses in the security group or firewall: UDP 4789 (Calico VXLAN, Cilium) or 8472 (flannel, Canal), IP protocol 4 for IPIP and 50 for ESP (a rule for "all TCP and UDP" covers neither), UDP 51820 (Calico, flannel WireGuard) or 51871 (Cilium WireGuard); or switch the CNI to an encapsulation the network carries.',
  },
  'path-mtu-black-hole': {
    title: 'Large packets between two nodes are lost (path-MTU black hole)',
    severity: 'error',
    meaning:
      'Small encapsulated packets get from one node to the other, but a packet of the size the tunnel MTU allows (with Don\'t Fragment set) left the sender and never arrived, and no "fragmentation needed" made the sender lower its MTU: the underlay carries less than the nodes\' devices say (a VPN, a cloud overlay, a switch port with a smaller MTU). Connections open and then hang on the first full-sized packet.',
    detection:
      "--active: next to the small probe that arrived, a DF probe of tunnel MTU + encapsulation overhead (VXLAN 50, IPIP 20) bytes, captured on the sender's underlay device and not on the receiver's.",
    fix: 'Lower the tunnel MTU so that tunnel MTU + overhead fits the smallest MTU on the path (Calico: FelixConfiguration vxlanMTU / ipipMTU; flannel and Cilium follow the device MTU), or raise the underlay\'s MTU; let ICMP "fragmentation needed" through any firewall on the path.',
  },
  'underlay-drops-pod-traffic': {
    title: 'The network between two nodes drops un-encapsulated pod traffic',
    severity: 'error',
    meaning:
      "In routed mode (Calico BGP without encapsulation, flannel host-gw) pod packets cross the network with pod addresses. A packet with a pod source address left one node's underlay device and never reached the next node's: the network drops addresses that are not the node's own (AWS source/destination check, OpenStack port security, an anti-spoofing switch).",
    detection:
      "--active: a packet (an ICMP echo reply, which no host answers) with a pod address as source, sent from the node along its route to the other node's pod range, captured on the sender's underlay device and not on the receiver's.",
    fix: "Let the pod networks through: disable the source/destination check on the instances (AWS), add the pod CIDRs to the ports' allowed-address-pairs (OpenStack), or use an encapsulating mode (Calico: encapsulation VXLAN or IPIPCrossSubnet).",
  },
  'reply-path-broken': {
    title: 'The reply direction between two nodes loses packets the forward direction carries',
    severity: 'error',
    meaning:
      "The flow's forward direction crosses the network between the two nodes, but the same probe in the direction the reply takes was lost: the request arrives and the answer never comes back (one-way firewall rules, asymmetric anti-spoofing).",
    detection: '--active on a flow: the probes along the forward trace arrived and one along the reply trace did not.',
    fix: 'Allow the reply direction in the firewall or security group between the two nodes (the other finding of the pair names the protocol).',
  },
  'flow-not-answered': {
    title: "The flow's own packets, sent from the source pod, were not answered",
    severity: 'error',
    meaning:
      "--active sent the question's own packets (TCP connect, UDP datagram, ICMP echo) from inside the source pod's network namespace, with a listener in the destination pod's where netcheck can enter it: no answer came back, or it was refused. The capture points on the predicted path say where the packet (or its reply) was last seen and first missed.",
    detection:
      '--active on a flow command: the sender in the source pod got no answer (or an RST / ICMP unreachable); tcpdump on each device of the forward and reply traces.',
    fix: 'Look between the last point that captured the packet and the first that did not: a rule, route or device there (named by a static finding when the engine sees it; otherwise the network between the nodes or something the engine does not model).',
  },
  'prediction-mismatch': {
    title: 'What the packets did disagrees with what the engine predicted',
    severity: 'warning',
    meaning:
      "netcheck's walk of the nodes' state and the real packets disagree: a packet the engine sends out of one device was not seen there, or one the engine says is delivered was lost on the way. Either the nodes changed since collection, or something the engine does not see decided (the network between the nodes, an eBPF program, a rule in a namespace not probed). Neither side is taken as right.",
    detection:
      '--active: each capture point on the predicted path, compared with the prediction; both sides are quoted.',
    fix: 'Read both sides: a loss between nodes is named by its own finding; a packet that never left the predicted device points at the sender (run the command again to rule out a change since collection).',
  },
  'active-not-observed': {
    title: 'A probe could not be sent or watched',
    severity: 'warning',
    meaning:
      '--active could not send a probe or watch a capture point (a tool missing in the probe image, a capture that did not start in time, a pod that did not start): what that probe would have shown is not known, and nothing is concluded from it.',
    detection: 'The sender or tcpdump exited without a result, or the probe pod could not run them.',
    fix: 'Use a probe image with python3, tcpdump and timeout (the default nicolaka/netshoot has them), or fix what the finding names, and run again.',
  },
  // ------------------------------------------------------------------ NetworkPolicy (trace)
  'networkpolicy-denies': {
    title: 'The NetworkPolicy objects deny the flow',
    severity: 'error',
    meaning:
      'A NetworkPolicy selects the source pod for Egress or the destination pod for Ingress, and none of the rules of the policies selecting it allows this connection: the pod is isolated in that direction and the connection is denied (policies only allow; what no rule allows is refused).',
    detection:
      'Kubernetes NetworkPolicy semantics evaluated on the objects (podSelector, namespaceSelector, ipBlock with except, ports with endPort and named ports, policyTypes and their default), for the connection as the policy sees it: after Service DNAT (the backend pod and targetPort).',
    fix: 'Add a rule that allows the connection to one of the quoted policies (the finding writes it out), or change the pod labels the rules select on.',
  },
  'networkpolicy-mismatch': {
    title: 'The datapath does not do what the NetworkPolicy objects say',
    severity: 'warning',
    meaning:
      "The policy objects and the node's rules disagree: the objects deny a connection the traced rules let through, or allow one that the traced rules drop in a policy chain. The CNI agent has not programmed the current policies (agent down or stuck, stale rules), or something else wrote policy-like rules.",
    detection:
      'The object verdict of the flow next to the traced verdict, on a CNI that enforces NetworkPolicy with iptables (Calico, Canal).',
    fix: "Check the CNI agent on the node (calico-node's felix: kubectl -n <ns> logs <calico-node pod> -c calico-node), and compare its chains (iptables-save | grep cali-p) with the policies.",
  },
  'networkpolicy-not-enforced': {
    title: 'NetworkPolicies exist but the CNI does not enforce them',
    severity: 'warning',
    meaning:
      'The NetworkPolicy objects deny this connection, but the cluster runs a CNI without a policy engine (flannel alone): the API server accepts the objects and nothing applies them, so the connection works.',
    detection:
      'The object verdict is denied, the traced datapath delivers it, and the CNI module says it does not enforce NetworkPolicy.',
    fix: 'Run a policy engine with the CNI (Canal: flannel with Calico felix for policy) or a CNI that enforces NetworkPolicy; until then the policies protect nothing.',
  },
  'networkpolicy-dns-egress': {
    title: 'Egress policy leaves out DNS',
    severity: 'warning',
    meaning:
      'The source pod is isolated for Egress and no egress rule allows UDP/53 to the cluster DNS pods: every name lookup fails (the classic forgotten DNS rule), though connections to addresses may work.',
    detection:
      "The NetworkPolicy evaluator's verdict for the pod to each ready endpoint of Service kube-system/kube-dns on UDP 53.",
    fix: 'Add an egress rule for DNS to a policy selecting the pod: to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}, podSelector: {matchLabels: {k8s-app: kube-dns}}}], ports: [{protocol: UDP, port: 53}, {protocol: TCP, port: 53}].',
  },
  'networkpolicy-undecided': {
    title: 'The NetworkPolicy verdict depends on data not in the snapshot',
    severity: 'info',
    meaning:
      'A policy selecting an end of the flow uses a namespaceSelector on labels other than kubernetes.io/metadata.name (namespaces are not collected), or an ipBlock that contains a pod address on a CNI whose treatment of that is not known: whether it allows the connection is not known.',
    detection: 'The NetworkPolicy evaluator met a label it cannot see or an implementation-defined match.',
    fix: 'Check the namespace labels by hand (kubectl get ns --show-labels) against the quoted rules.',
  },
  'nftables-not-evaluated': {
    title: 'Native nftables rules netcheck does not model',
    severity: 'warning',
    meaning:
      'The node has native nftables rules (kube-proxy nftables mode, firewalld, a host firewall) that netcheck evaluates like iptables, except for the quoted ones: a statement or expression it does not model, or a bridge/ingress chain it does not walk. A path that reaches one of them is reported unknown rather than guessed.',
    detection:
      "nft -j list ruleset: rules in tables outside iptables-nft's own (families ip, inet, bridge, netdev) that the evaluator cannot compile.",
    fix: 'Check the quoted rules by hand for the flow (nft -a list chain <family> <table> <chain>).',
  },
  'iptables-split-backends': {
    title: 'iptables rules are split between iptables-nft and iptables-legacy',
    severity: 'warning',
    meaning:
      "Agents on the node write their rules through different iptables backends (e.g. kube-proxy's KUBE-* chains through iptables-legacy, the CNI's chains through iptables-nft). The kernel runs both backends' tables at each hook, but each agent sees, orders and repairs only its own: an ACCEPT in one does not spare a DROP in the other, and when both translate a connection the nat table that registered its hook first wins (nf_nat_inet_fn stops at the first binding), which no snapshot shows. Usually the host's iptables alternative differs from the one in an agent's image.",
    detection:
      "Chain names and rule comments in iptables-nft-save and iptables-legacy-save name their writers (KUBE-* kube-proxy, KUBE-KUBELET-CANARY kubelet, cali-* Calico, CILIUM_* Cilium, FLANNEL-* flannel, DOCKER* Docker, WEAVE* Weave, ANTREA-* Antrea, KUBE-ROUTER-* kube-router); a finding when each backend holds some known writer's rules. The engine evaluates both backends at every hook (nft's table, then legacy's, at each priority) either way.",
    fix: 'Make every agent use the backend the host uses (update-alternatives --set iptables /usr/sbin/iptables-nft, or -legacy, on the host; images with iptables-wrapper follow the host once the other backend is empty), then flush the stale backend (iptables-legacy-save shows what is left) and restart the agents so they rewrite their rules.',
  },
  'conntrack-table-full': {
    title: 'The conntrack table is (nearly) full',
    severity: 'warning',
    meaning:
      'Every connection the node tracks (its own, its pods\' through NAT or stateful rules, and forwarded ones) takes an entry. When the table is full the kernel evicts an unassured entry (early_drop) or drops the new connection\'s packet ("nf_conntrack: table full, dropping packet"): new connections fail at random while established ones work.',
    detection:
      'net.netfilter.nf_conntrack_count against net.netfilter.nf_conntrack_max (sysctl): a warning at 80% and more, an error at 95% and more; also a warning when the early_drop counter of conntrack -S is not zero (the table was full at some time since boot).',
    fix: 'Raise net.netfilter.nf_conntrack_max (kube-proxy sets it at start from conntrack.maxPerCore and conntrack.min), and find what opens so many connections (conntrack -L, counted by source).',
  },
  'conntrack-insert-failed': {
    title: 'Conntrack dropped packets that lost an insert race',
    severity: 'warning',
    meaning:
      "Two packets of one connection that create conntrack entries at once (glibc sends a pod's A and AAAA DNS queries in parallel from one UDP socket; kube-proxy DNATs each to a DNS endpoint) clash when confirmed: the loser is dropped and counted as insert_failed (and drop), and the resolver waits for its 5-second timeout. drop also counts packets dropped for a full table. The counters are since boot: they say it happened, not when.",
    detection:
      'The insert_failed and drop counters of conntrack -S, summed over CPUs; the CPU lines that are not zero are quoted.',
    fix: "For DNS: options single-request-reopen (glibc) or use-vc in the pods' dnsConfig, or NodeLocal DNSCache (TCP to the upstream, no DNAT race); newer kernels resolve more of these clashes (counted as clash_resolve instead). For drops from a full table, see conntrack-table-full.",
  },
} as const satisfies Record<string, FindingDoc>;

export type FindingId = keyof typeof FINDINGS;
