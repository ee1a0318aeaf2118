"""Analysis and early warning over cases (分析研判、预警)."""
