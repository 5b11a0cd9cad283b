# Action server, scheduler and portal: Python 3.10, the app environment (rasa-sdk, spaCy,
# SQLAlchemy 2, APScheduler, MediaPipe with its model inside the wheel).
FROM python:3.10-slim
WORKDIR /app
ENV PYTHONPATH=/app
RUN apt-get update && apt-get install -y --no-install-recommends libgl1 libglib2.0-0 curl \
    && rm -rf /var/lib/apt/lists/*
COPY requirements/app.txt requirements/app.txt
RUN pip install --no-cache-dir -r requirements/app.txt
COPY actions actions
COPY coach coach
COPY domain domain
EXPOSE 5055 8000
CMD ["python", "-m", "rasa_sdk", "--actions", "actions", "--port", "5055"]
