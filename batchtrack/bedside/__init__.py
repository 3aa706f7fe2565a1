"""The clinic's end of the chain: shipment and receipt, bedside identity checks, infusion, the COI report."""
