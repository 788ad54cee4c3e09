"""The subscriber portal (the card's "loginmoshtarak"): log in by SMS code, file, follow, pay."""
