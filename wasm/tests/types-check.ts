// Compiled with `tsc --noEmit --strict` by wasm/test.sh: the generated
// declarations must type real use of the API (and reject misuse, below).
import { initSync, verify, hash, matchBank, bankSummary, version, present, placement, screenPrecheck, screenBadge, extensionLimits, badgeStates, ScreenReference } from "../pkg/hallmark_wasm.js";
import type { Report, HashResult, MatchResult, BankSummary, Verdict, HallmarkError, AnchorInfo, IdentityReport, Presented, Placement, ScreenOutcome, Badge, BadgeState, Comparison, ExtensionLimits } from "../pkg/hallmark_wasm.js";

declare const bytes: Uint8Array;
declare const wasm: BufferSource;

initSync({ module: wasm });
const report: Report = verify(bytes, { trustAnchorsPem: "-----BEGIN CERTIFICATE-----", mime: "image/jpeg" });
const verdict: Verdict = report.verdict;
const signer: string | null = report.signer?.name ?? null;
const codes: string[] = report.status.map((s) => s.code);
const plain: Report = verify(bytes, undefined);
const h: HashResult = hash(bytes);
const bits: number = h.quality + h.width + h.height;
const m: MatchResult = matchBank(h.pdq, "", 31);
const first: number | undefined = m.matches[0]?.distance;
const summary: BankSummary = bankSummary("");
const entries: number = summary.entries + summary.bad_lines.length;
const anchor: AnchorInfo | null = report.signer?.anchor ?? null;
const vouched: string | undefined = anchor?.source;
const chain: string[] = report.signer?.chain ?? [];
const identities: IdentityReport[] = report.identities;
const scope: string | null = report.status[0]?.scope ?? null;
const v: string = version();
// The extension's exports.
const shown: Presented = present(bytes, { trustAnchorsPem: "" }, ["tsv"]);
const state: BadgeState = shown.badge.state;
const where: Placement = placement(state, { mode: "filter", filter: "known-bad" }, true);
const pre: ScreenOutcome | null = screenPrecheck({ tabVisible: true, opacity: 1 });
const green: Badge = screenBadge(shown.badge, pre ?? { kind: "same" });
const limits: ExtensionLimits = extensionLimits();
const labels: string[] = badgeStates().map((s) => s.label);
const compared: Comparison = new ScreenReference(bytes).compare(new Uint8Array(4), 1, 1, { x: 0, y: 0, width: 1, height: 1 }, []);
const rows: number = shown.card.sections.reduce((n, s) => n + s.rows.length, where.veil ? 1 : 0) + limits.maxBytes + labels.length + (compared.pdq_distance ?? 0) + green.text.length;
try {
  hash(bytes);
} catch (e) {
  const err = e as HallmarkError;
  console.log(err.code, err.message);
}
// @ts-expect-error: options are typed; an unknown key is a compile error
verify(bytes, { trustAnchors: "x" });
// @ts-expect-error: a verdict is one of the seven
const wrong: Verdict = "maybe";
console.log(verdict, signer, codes, plain, bits, first, v, wrong);
