from .models import Practice


def practice(request):
    return {"practice": Practice.get_current()}
