from django.http import HttpRequest
from django.shortcuts import redirect


def home(request: HttpRequest):
    return redirect("postmortems:list")
