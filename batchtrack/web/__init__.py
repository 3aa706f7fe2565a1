"""Request plumbing shared by every page and route: rendering, error pages, body limits, security headers, logs."""
