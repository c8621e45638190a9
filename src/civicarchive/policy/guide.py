"""The guide for officials, rendered from the policy file: one or two pages of plain words
on what an official may and may not do on a personal account under this agency's policy.

It is composed from the same values as the policy document (the approach to personal
accounts, the state's duties with their citations, each office's actual authority, the
moderation categories, the series that keeps officials' posts, the records officer), so
the guide and the rules the archive applies cannot drift apart. An acknowledgement
records which guide a person read by `guide_sha256`: the SHA-256 of its Markdown, which
holds no date, so the same policy always gives the same guide and the same hash.
"""

from __future__ import annotations

import hashlib

from civicarchive.model.account import Classification
from civicarchive.model.record import Kind
from civicarchive.policy.document import APPROACH, _cite, _listing
from civicarchive.policy.model import OTHER_PLATFORM, Policy, series_for
from civicarchive.policy.prose import (COMPACT_STYLE, Bullets, Paragraph, Section, Table,
                                       to_html, to_markdown)

LINDKE = ("Under Lindke v. Freed, 601 U.S. 187 (2024), a post on your personal account is "
          "the government speaking (state action) only when both are true: you had actual "
          "authority to speak for {agency} on the post's matter, and you purported to use that "
          "authority in that post. It is judged post by post, not account by account.")
PURPORTING = ("A post purports to use your authority when it announces official action (an "
              "order, a decision, a closure, a vote), invokes your office (\"as your mayor\"), "
              "is written or posted by agency staff or with agency resources, or is the only "
              "place an official notice appears.")
DISCLAIMER = ("A disclaimer such as \"views are my own\" weighs toward a personal post, but it "
              "is a factor, not a safe harbour: a post that announces official action is still "
              "the government speaking, whatever the profile says.")
FORUM = ("On a post that is state action, the comment thread is a public forum. Hide a comment "
         "only under one of the policy's categories ({categories}), the same way for everyone, "
         "and never for the opinion it expresses: criticism of you, the agency or its "
         "decisions is protected speech, however harshly it is put.")
BLOCKING = ("Do not block people from an account you use for agency business. A block shuts a "
            "person out of the whole page, so it is judged more strictly than hiding one "
            "comment (O'Connor-Ratcliff v. Garnier, remanded 2024), and blocking someone for "
            "their views is viewpoint discrimination (Davison v. Randall, 4th Cir. 2019). Hide "
            "the one comment instead, and ask the {officer} before any block.")
DELETING = ("Deleting a post does not end the duty to keep it. A post about agency business is "
            "a public record kept for its retention period, and never destroyed while a legal "
            "hold covers it. Before you delete a post, or a comment under one, that touches "
            "agency business, ask the {officer}: the archive keeps a copy, but deleting the "
            "original early can still breach the retention schedule.")


def title(policy: Policy) -> str:
    return f"{policy.agency}: Social Media Guide for Officials"


def render_guide_markdown(policy: Policy) -> str:
    """The guide as Markdown: the text whose SHA-256 identifies this version."""
    return to_markdown(title(policy), guide_sections(policy))


def render_guide_html(policy: Policy) -> str:
    return to_html(title(policy), guide_sections(policy), COMPACT_STYLE)


def guide_sha256(policy: Policy) -> str:
    """The hex SHA-256 of the guide's Markdown (UTF-8): the version an acknowledgement
    names."""
    return hashlib.sha256(render_guide_markdown(policy).encode("utf-8")).hexdigest()


def guide_sections(policy: Policy) -> tuple[Section, ...]:
    """The guide's sections, in order, as plain text blocks."""
    return (_accounts(policy), _records(policy), _state_action(policy),
            _comments(policy), _deleting(policy), _asking(policy))


def _accounts(p: Policy) -> Section:
    approach = APPROACH[p.personal_accounts.approach].format(officer=p.records_officer)
    blocks: list = [
        Paragraph(f"This guide is for {p.agency}'s elected officials, appointees and staff "
                  f"who use social media. It is generated from the agency's social media "
                  f"policy and says only what that policy says; it is not legal advice. The "
                  f"{p.records_officer} answers any question about it."),
        Paragraph(approach),
    ]
    if Classification.OFFICIAL_PERSONAL in p.registration.required_for:
        blocks.append(Paragraph(f"Register every account you use for agency business with "
                                f"the {p.records_officer} before you use it for that."))
    return Section("1. Your accounts", tuple(blocks))


def _records(p: Policy) -> Section:
    blocks: list = [Paragraph("A post about the agency's business is a public record, "
                              "whichever account it is on. Under this agency's policy and "
                              "the law it follows:")]
    # Lindke's test has a section of its own (3).
    duties = [duty for duty in p.personal_accounts.duties
              if "Lindke" not in (duty.citation or "")]
    if duties:
        blocks.append(Bullets(tuple(_cite(duty) for duty in duties)))
    terms = p.personal_accounts.agency_terms
    kept = series_for(p, Classification.OFFICIAL_PERSONAL, OTHER_PLATFORM, Kind.POST)
    where = (f", kept under {_listing([f'{s.code} {s.title} ({s.retention})' for s in kept])}"
             if kept else "")
    if terms:
        shown = _listing([f'"{term}"' for term in terms[:12]] + (["others"] if terms[12:]
                                                                  else []))
        blocks.append(Paragraph(f"The archive flags posts on officials' personal accounts "
                                f"that speak of agency business (words such as {shown}) as "
                                f"public records{where}."))
    blocks.append(Paragraph("Purely personal and campaign posts are not agency records; a "
                            "post that mixes them with agency business is one."))
    return Section("2. When a post is a public record", tuple(blocks))


def _state_action(p: Policy) -> Section:
    blocks: list = [Paragraph(LINDKE.format(agency=p.agency))]
    if p.offices:
        rows = tuple((office.title,
                      "; ".join(a.matter for a in office.authority) or
                      "nothing on its own: the office does not speak for the agency alone",
                      "; ".join(dict.fromkeys(a.citation for a in office.authority)) or "-")
                     for office in p.offices)
        blocks += [Paragraph("What each office may speak for the agency on, under this "
                             "policy:"),
                   Table(("Office", "May speak for the agency on", "Source"), rows)]
    else:
        blocks.append(Paragraph(f"The policy does not yet state each office's authority: ask "
                                f"the {p.records_officer} what yours covers."))
    blocks += [Paragraph(PURPORTING), Paragraph(DISCLAIMER),
               Bullets(("Post official notices on the agency's own account first, and share "
                        "them from yours.",
                        "Keep agency staff off your personal account: they may run the "
                        "agency's accounts, not yours.",
                        "If a post is the agency speaking, treat its comments as the agency's "
                        "(section 4)."))]
    return Section("3. When your post is the government speaking", tuple(blocks))


def _comments(p: Policy) -> Section:
    names = _listing([c.name.lower() for c in p.moderation]) if p.moderation \
        else "none adopted yet"
    return Section("4. Comments and blocking", (
        Paragraph(FORUM.format(categories=names)),
        Paragraph(BLOCKING.format(officer=p.records_officer)),
    ))


def _deleting(p: Policy) -> Section:
    return Section("5. Before you delete anything", (
        Paragraph(DELETING.format(officer=p.records_officer)),
    ))


def _asking(p: Policy) -> Section:
    renew = p.registration.acknowledgement_valid_days
    ack = (f"Acknowledge this guide when you take office and every {renew} days after; the "
           f"archive records which version you acknowledged by the SHA-256 of its Markdown "
           f"text, so a changed policy asks for a new acknowledgement." if renew else
           "Acknowledge this guide when you take office; the archive records which version "
           "you acknowledged by the SHA-256 of its Markdown text, so a changed policy asks "
           "for a new acknowledgement.")
    training = (f" Complete the agency's social media training"
                f"{f' every {p.training.renew_every_days} days' if p.training.renew_every_days else ''}."
                if p.training.required else "")
    return Section("6. Whom to ask", (
        Paragraph(f"Ask the {p.records_officer} before you register or close an account, "
                  f"delete a post, block anyone, or answer a records request, and whenever "
                  f"you are unsure whether a post is a public record. Tell the "
                  f"{p.records_officer} at once of any legal hold or records request that may "
                  f"cover your posts."),
        Paragraph(ack + training),
    ))
