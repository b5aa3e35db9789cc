/**
 * The context built around a pipeline's alert sink when the user asked for suppression
 * (`--suppress`) or home networks (`--home-net`): built once per pipeline context, so the
 * detectors call it directly (no wrapper per detector, nothing built per packet).
 */
import type { AlertInput, DetectorContext } from '../events/detector.js';
import type { FlowView } from '../events/flow.js';
import type { SuppressionConfig, SuppressionCount } from '../detect/index.js';
import type { ComponentModules } from './components.js';

export interface AlertContextOptions {
  /** Home networks (CIDRs): alerts say whether the attributed device is inside them. */
  homeNets?: readonly string[];
  suppress?: SuppressionConfig;
}

export interface AlertContext {
  ctx: DetectorContext;
  /** Alerts suppressed so far, per rule (empty without suppression rules). */
  suppressed(): SuppressionCount[];
}

/** `inner` itself when there is nothing to do, else one context that suppresses and annotates. */
export function alertContext(inner: DetectorContext, opts: AlertContextOptions, detect: Pick<ComponentModules['detect'], 'ipMatcher' | 'suppressContext'>): AlertContext {
  const home = (opts.homeNets ?? []).map((c) => detect.ipMatcher(c)).filter((m): m is (ip: string) => boolean => m !== null);
  const rules = opts.suppress && opts.suppress.rules.length > 0 ? opts.suppress : null;
  let ctx = inner;
  let suppressed = (): SuppressionCount[] => [];
  if (rules) {
    const s = detect.suppressContext(inner, rules);
    suppressed = () => s.counts();
    ctx = s;
  }
  if (home.length > 0) {
    const next = ctx;
    ctx = {
      emit(flow: FlowView | null, alert: AlertInput): void {
        const ip = alert.device?.ip ?? flow?.clientIp ?? alert.srcIp ?? '';
        next.emit(flow, ip ? { ...alert, evidence: { ...alert.evidence, deviceInHomeNet: home.some((m) => m(ip)) } } : alert);
      },
      emitEvent: (e) => next.emitEvent(e),
    };
  }
  return { ctx, suppressed };
}
