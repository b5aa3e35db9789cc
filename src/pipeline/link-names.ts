/** Human names of pcap LINKTYPE values for summaries. */
const NAMES: Record<number, string> = {
  0: 'NULL', 1: 'ETHERNET', 101: 'RAW', 108: 'LOOP', 113: 'LINUX_SLL', 127: 'IEEE802_11_RADIO',
  228: 'IPV4', 229: 'IPV6', 276: 'LINUX_SLL2',
};

export function linkTypeName(lt: number): string {
  return NAMES[lt] ?? `LINKTYPE_${lt}`;
}
