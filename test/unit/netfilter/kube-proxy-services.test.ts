// Every kube-proxy Service feature, traced with its verdict and deciding rule, table-driven as
// kube-proxy's own runPacketFlowTests (pkg/proxy/iptables/proxier_test.go). The rules and the
// table: kube-proxy-services.ts.
import { ITP_NODE, ITP_ROWS, itp, V130_NODE, V130_ROWS, v130 } from './kube-proxy-services.ts';
import { packetTable } from './packet-table.ts';

packetTable('kube-proxy v1.30 rules', [v130], V130_NODE, V130_ROWS);
packetTable('kube-proxy internalTrafficPolicy and --nodeport-addresses', [itp], ITP_NODE, ITP_ROWS);
