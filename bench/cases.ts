/** Bench cases of the later stages (rules, telescope); kept apart so run.ts stays generic. */
export interface CaseContext {
  mixed: string;
  small: string;
  darknet: string;
  mw: (...a: string[]) => string[];
  packets: (p: string) => () => number;
  have: (tool: string) => boolean;
  quick: boolean;
  withTshark: boolean;
  benchDir: string;
}

export function extraCases(_c: CaseContext): { group: string; name: string; input: string; cmd: string[]; packets: () => number; timeoutS?: number }[] {
  return [];
}
