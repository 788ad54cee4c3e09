"""The counter-office portal ("logindaftar"): government counter offices (دفاتر پیشخوان) file
meter test claims for walk-in subscribers, collect the fee with the office's own fee added,
print receipts and a daily statement.
"""
