"""What the printed records (batch record, certificate of analysis, chain-of-identity report) share: the shipped
fonts, pages with a running header and footer, and text and tables that wrap and continue over page breaks."""
