// Compiled with `tsc --noEmit --strict` by wasm/test.sh: the generated
// declarations must type real use of the API (and reject misuse, below).
import { initSync, verify, hash, matchBank, bankSummary, version } from "../pkg/hallmark_wasm.js";
import type { Report, HashResult, MatchResult, BankSummary, Verdict, HallmarkError, AnchorInfo, IdentityReport } from "../pkg/hallmark_wasm.js";

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
