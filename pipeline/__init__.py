"""推荐材料邮件受理: intake pipeline for nominations sent by email."""
