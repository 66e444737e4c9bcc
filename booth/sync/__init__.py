"""The kiosk's side of sync: keys, the online check, sealing, the uploader, its Qt adapter
and the USB export."""
