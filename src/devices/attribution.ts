/**
 * Which device an alert is about. The address is the detector's choice (default: the
 * flow's client). A MAC is attributed only to an address on the local segment (learned
 * from ARP/DHCP/NDP, inside --home-net, or private/link-local): a remote attacker's packets
 * arrive with the router's MAC, and must never make the router the culprit.
 */
import type { AlertInput } from '../events/detector.js';
import type { DeviceRef } from '../events/eve.js';
import type { FlowView } from '../events/flow.js';
import type { Inventory } from './inventory.js';

export function attributeDevice(inv: Inventory, flow: FlowView | null, alert: AlertInput): DeviceRef | undefined {
  const ip = alert.device?.ip ?? flow?.clientIp ?? alert.srcIp ?? '';
  if (ip === '') return alert.device;
  if (!inv.isLocal(ip)) return { ip };
  const frameMac = flow ? (flow.clientIp === ip ? flow.clientMac : flow.serverIp === ip ? flow.serverMac : '') : '';
  const mac = inv.macForIp(ip) ?? (alert.device?.mac || frameMac);
  // a local sender the inventory has not met yet (its first packet was the alert's): it is on the segment now
  if (mac && !inv.deviceOfMac(mac)) inv.observeAddress(mac, ip, 'traffic', alert.tsUs ?? flow?.lastTsUs ?? 0);
  const d = mac ? inv.deviceOfMac(mac) : undefined;
  if (!d) return mac ? { ip, mac } : { ip };
  return { id: d.id, mac, ip, vendor: d.vendor, type: d.type, ...(d.name ? { name: d.name } : {}) };
}
