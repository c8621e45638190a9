"""Compliance monitors over officials' accounts and the people who hold them. Pure
engines: they are handed what they judge and return results with their reasons.

- `duties`: whether a person's acknowledgement of the guide and training are current;
- `state_action`: Lindke v. Freed, post by post: likely state action, unclear or likely
  personal, and the warning before a block or a deletion on such a post;
- `public_business`: whether a post on an official's personal account is the agency's
  business (a public record), and its record series.
"""
