"""The app-env side of the messaging channels (database access; the Rasa env has none).

consent     versioned consent answers (data; clip analysis separately)
optout      STOP / START for patients and caregivers
erasure     "delete my data": clips, reports, conversation ids; an audit record stays
clips       a received clip is bound to the patient who uploaded it
upload_links  one-time clip upload links for SMS patients
prompts     proactive prompts on the patient's own channel, counted only when accepted
twilio_status  Twilio delivery status callbacks (FastAPI router)
"""
