// "Check this record": fetch the record's proof, check it against the agency's published
// key with verify.js, and say in plain words what was checked and what it means.
"use strict";
(function () {
  const box = document.getElementById("check");
  if (!box || !window.CivicProof) return;
  const status = document.getElementById("check-status");
  const steps = document.getElementById("check-steps");
  const say = (text) => { const li = document.createElement("li"); li.textContent = text; steps.appendChild(li); };
  status.textContent = "Checking the proof…";
  (async () => {
    try {
      const answer = await fetch(box.dataset.proof, {credentials: "omit"});
      if (!answer.ok) throw new Error("this record has no public proof (" + answer.status + ")");
      const bytes = new Uint8Array(await answer.arrayBuffer());
      const key = CivicProof.decodeBase64(box.dataset.key, "the published key");
      const r = await CivicProof.verifyBytes(bytes, key);
      say("The proof file is well formed: every rule of the proof format holds.");
      say(`It describes version ${r.version} of record ${r.entry.item.text}, a ${r.entry.kind} on ${r.entry.platform}, ` +
          `recorded as "${r.entry.event}" at ${r.entry.observed_at}.`);
      say(`That description is entry ${r.leaf} of the archive's ledger of ${r.size} entries: ` +
          "the hashes in the proof lead from it to the ledger's root.");
      say(`The agency signed that root at ${r.time}, with the key whose fingerprint is ${r.keySha256}: ` +
          "the key this archive publishes.");
      say(r.contentIncluded ? "The record's words, as the proof carries them, match the hash in the ledger."
                            : "The proof leaves the record's words out (they are redacted or were disposed of); the rest is proven.");
      status.textContent = "Genuine: this record is exactly what the archive recorded, unchanged since the agency signed its ledger at " + r.time + ".";
      status.className = "ok";
    } catch (error) {
      status.textContent = "The check failed: " + (error.message || error) + ". Do not rely on this record without asking the agency.";
      status.className = "failed";
    }
  })();
})();
